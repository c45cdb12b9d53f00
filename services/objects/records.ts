// Pure mapping of Swift containers and objects to inventory records and references.
// An object's ID is `<container>/<name>` (names are unique only within a container).
import type { ResourceRecord, ResourceRef } from '../../src/model/resource.js';
import { makeRecord, ref } from '../common/inventory-collector.js';
import type { ContainerInfo, ObjectInfo, ObjectListing, SloStoredSegment } from './client.js';
import { withoutSecrets } from './headers.js';

export function objectId(container: string, name: string): string {
  return `${container}/${name}`;
}

/** The container part of a `<container>/<rest>` reference (DLO manifests, versions locations). */
export function containerOf(pathRef: string): string {
  const clean = pathRef.replace(/^\/+/, '');
  const slash = clean.indexOf('/');
  return decodeURIComponentSafe(slash < 0 ? clean : clean.slice(0, slash));
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * A container record; temp-URL keys are credentials and are withheld (`fields.withheld_metadata`
 * names them, so a restore can say they must be set again). Versioning targets are references.
 */
export function containerRecord(c: ContainerInfo, projectId: string, sizeFromListing?: number): ResourceRecord {
  const { metadata, withheld } = withoutSecrets(c.metadata);
  const fields: Record<string, unknown> = { ...c, metadata };
  if (withheld.length > 0) fields['withheld_metadata'] = withheld;
  return makeRecord({
    kind: 'container',
    id: c.name,
    name: c.name,
    projectId,
    size: sizeFromListing ?? c.bytesUsed,
    fields,
    refs: [
      c.versionsLocation ? ref('container', containerOf(c.versionsLocation), 'versionsLocation') : undefined,
      c.historyLocation ? ref('container', containerOf(c.historyLocation), 'historyLocation') : undefined,
    ],
  });
}

/**
 * An object record: the listing entry plus what HEAD tells (metadata, content headers, expiry,
 * manifests). References: its container; DLO → the segments' container; SLO → each segment object.
 */
export function objectRecord(container: string, listing: ObjectListing, info: ObjectInfo | undefined, projectId: string, sloSegments?: SloStoredSegment[]): ResourceRecord {
  const refs: Array<ResourceRef | undefined> = [ref('container', container, 'container')];
  if (info?.objectManifest) refs.push(ref('container', containerOf(info.objectManifest), 'objectManifest'));
  (sloSegments ?? []).forEach((segment, i) => {
    // Segment names are `/<container>/<object>`.
    const path = segment.name.replace(/^\/+/, '');
    const slash = path.indexOf('/');
    if (slash > 0) refs.push(ref('object', objectId(path.slice(0, slash), path.slice(slash + 1)), `slo_segments.${i}.name`));
  });
  const fields: Record<string, unknown> = { ...listing, container };
  if (info) Object.assign(fields, info);
  if (sloSegments) fields['slo_segments'] = sloSegments;
  return makeRecord({ kind: 'object', id: objectId(container, listing.name), name: listing.name, projectId, size: listing.bytes, fields, refs });
}
