// The restore marker: every resource a restore creates carries the restore's ID and the old ID
// it was restored from — as Neutron/Nova tags, Cinder metadata or Glance properties, whatever
// the kind offers. A re-run after a crash finds what the crashed run created (no duplicates),
// the planner recognises earlier restores (ExistingResource.sourceId), and the fidelity report
// leaves the marker out of the comparison.
// The names are the planner's (restore-plans/source-marker.ts): one definition for both sides.
import type { ResourceRecord } from '../src/model/resource.js';
import { RESTORE_METADATA_KEY, RESTORE_TAG_PREFIX, SOURCE_METADATA_KEY, SOURCE_TAG_PREFIX } from '../restore-plans/source-marker.js';

export { RESTORE_TAG_PREFIX, SOURCE_TAG_PREFIX };
export const RESTORE_META_KEY = RESTORE_METADATA_KEY;
export const SOURCE_META_KEY = SOURCE_METADATA_KEY;
/** Marks an image a restore made only to fill a volume or boot a server from. */
export const TEMPORARY_META_KEY = 'permafrost_restore_temporary';

export function markerTags(restoreId: string, sourceId: string): string[] {
  return [`${RESTORE_TAG_PREFIX}${restoreId}`, `${SOURCE_TAG_PREFIX}${sourceId}`];
}

export function markerMetadata(restoreId: string, sourceId: string): Record<string, string> {
  return { [RESTORE_META_KEY]: restoreId, [SOURCE_META_KEY]: sourceId };
}

export function isMarkerTag(tag: string): boolean {
  return tag.startsWith(RESTORE_TAG_PREFIX) || tag.startsWith(SOURCE_TAG_PREFIX);
}

export function isMarkerKey(key: string): boolean {
  const k = key.toLowerCase();
  return k === RESTORE_META_KEY || k === SOURCE_META_KEY || k === TEMPORARY_META_KEY;
}

/** Whether tags / metadata say "restored by `restoreId` from `sourceId`". */
export function hasMarker(restoreId: string, sourceId: string, tags?: unknown, metadata?: unknown): boolean {
  if (Array.isArray(tags) && tags.includes(`${RESTORE_TAG_PREFIX}${restoreId}`) && tags.includes(`${SOURCE_TAG_PREFIX}${sourceId}`)) return true;
  if (metadata && typeof metadata === 'object') {
    const m = metadata as Record<string, unknown>;
    return m[RESTORE_META_KEY] === restoreId && m[SOURCE_META_KEY] === sourceId;
  }
  return false;
}

/** The old ID a restore stamped on a resource of the target, if any (tags, metadata, image properties). */
export function sourceIdOf(record: Pick<ResourceRecord, 'fields'>): string | undefined {
  const f = record.fields;
  const tags = Array.isArray(f.tags) ? (f.tags as unknown[]) : [];
  for (const tag of tags) if (typeof tag === 'string' && tag.startsWith(SOURCE_TAG_PREFIX)) return tag.slice(SOURCE_TAG_PREFIX.length);
  for (const holder of [f.metadata, f]) {
    if (holder && typeof holder === 'object') {
      const value = (holder as Record<string, unknown>)[SOURCE_META_KEY];
      if (typeof value === 'string') return value;
    }
  }
  return undefined;
}

/** Tags without the marker (what the user had). */
export function userTags(tags: unknown): string[] {
  return Array.isArray(tags) ? (tags as unknown[]).filter((t): t is string => typeof t === 'string' && !isMarkerTag(t)) : [];
}

/** Metadata without the marker keys. */
export function userMetadata(metadata: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (metadata && typeof metadata === 'object') {
    for (const [k, v] of Object.entries(metadata as Record<string, unknown>)) if (!isMarkerKey(k) && typeof v === 'string') out[k] = v;
  }
  return out;
}
