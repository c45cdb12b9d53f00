// Pure mapping of Cinder API objects to inventory records and references.
import type { ResourceRecord } from '../../src/model/resource.js';
import { makeRecord, ref } from '../common/inventory-collector.js';
import type { Volume, VolumeSnapshot, VolumeType } from './client.js';

export const GIB = 2 ** 30;

/** Volume-type ID of a volume: `volume_type_id` (3.63+) or the type looked up by name. */
export function volumeTypeIdOf(v: Volume, typesByName: Map<string, VolumeType>): string | undefined {
  if (typeof v.volume_type_id === 'string' && v.volume_type_id) return v.volume_type_id;
  return v.volume_type ? typesByName.get(v.volume_type)?.id : undefined;
}

/**
 * A volume refers to the image it was created from (`volume_image_metadata.image_id`), the
 * snapshot or volume it was cloned from, and its type. Attached servers are not references of
 * the volume: the server refers to the volume (the server is restored after its volumes).
 */
export function volumeRecord(v: Volume, typesByName: Map<string, VolumeType> = new Map()): ResourceRecord {
  const imageMeta = v.volume_image_metadata ?? {};
  return makeRecord({
    kind: 'volume',
    id: v.id,
    name: v.name,
    projectId: v['os-vol-tenant-attr:tenant_id'],
    size: v.size * GIB,
    fields: v,
    refs: [
      ref('image', imageMeta['image_id'], 'volume_image_metadata.image_id', imageMeta['image_name']),
      ref('volume_snapshot', v.snapshot_id, 'snapshot_id'),
      ref('volume', v.source_volid, 'source_volid'),
      ref('volume_type', volumeTypeIdOf(v, typesByName), 'volume_type_id', v.volume_type),
    ],
  });
}

export function snapshotRecord(s: VolumeSnapshot, volumeNames: Map<string, string> = new Map()): ResourceRecord {
  return makeRecord({
    kind: 'volume_snapshot',
    id: s.id,
    name: s.name,
    projectId: s['os-extended-snapshot-attributes:project_id'],
    size: s.size * GIB,
    fields: s,
    refs: [ref('volume', s.volume_id, 'volume_id', volumeNames.get(s.volume_id))],
  });
}

export function volumeTypeRecord(t: VolumeType, access?: string[]): ResourceRecord {
  return makeRecord({ kind: 'volume_type', id: t.id, name: t.name, fields: access ? { ...t, project_access: access } : t });
}
