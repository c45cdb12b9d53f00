// Pure mapping of Glance images to inventory records and references.
import type { ResourceRecord, ResourceRef } from '../../src/model/resource.js';
import { makeRecord, ref } from '../common/inventory-collector.js';
import type { Image, ImageMember } from './client.js';

/**
 * An image refers to the projects it is shared with (members), the image it was made from
 * (`base_image_ref`, set on server snapshots) and, for snapshots of volume-backed servers, the
 * volume snapshots in its `block_device_mapping` property.
 */
export function imageRecord(image: Image, members?: ImageMember[]): ResourceRecord {
  const refs: Array<ResourceRef | undefined> = [];
  (members ?? []).forEach((m, i) => refs.push(ref('project', m.member_id, `members.${i}.member_id`)));
  if (typeof image['base_image_ref'] === 'string') refs.push(ref('image', image['base_image_ref'], 'base_image_ref'));
  bdmSnapshotIds(image).forEach((id, i) => refs.push(ref('volume_snapshot', id, `block_device_mapping.${i}.snapshot_id`)));
  return makeRecord({
    kind: 'image',
    id: image.id,
    name: image.name,
    projectId: image.owner,
    size: typeof image.size === 'number' ? image.size : undefined,
    fields: members ? { ...image, members } : image,
    refs,
  });
}

/** Snapshot IDs in the JSON `block_device_mapping` property of a volume-backed server snapshot. */
export function bdmSnapshotIds(image: Image): string[] {
  const raw = image['block_device_mapping'];
  if (typeof raw !== 'string') return [];
  try {
    const parsed = JSON.parse(raw) as Array<{ snapshot_id?: string | null }>;
    return Array.isArray(parsed) ? parsed.map((b) => b.snapshot_id).filter((id): id is string => typeof id === 'string' && id !== '') : [];
  } catch {
    return [];
  }
}
