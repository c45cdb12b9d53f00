// The marks a restore leaves on what it creates, so that re-running it (after a crash) finds
// its own work instead of creating duplicates: the old ID and the restore's ID, as a tag where
// the API has tags (Neutron, Nova, Glance; ≤ 60 characters each) and as metadata elsewhere
// (Cinder, Swift, Keystone descriptions are left alone).
import type { ResourceKind } from '../src/model/kinds.js';

export const SOURCE_TAG_PREFIX = 'pf-src:';
export const RESTORE_TAG_PREFIX = 'pf-restore:';
export const SOURCE_METADATA_KEY = 'permafrost_source_id';
export const RESTORE_METADATA_KEY = 'permafrost_restore_id';

export function sourceTags(oldId: string, restoreId: string): string[] {
  return [`${SOURCE_TAG_PREFIX}${oldId}`, `${RESTORE_TAG_PREFIX}${restoreId}`];
}

export function sourceMetadata(oldId: string, restoreId: string): Record<string, string> {
  return { [SOURCE_METADATA_KEY]: oldId, [RESTORE_METADATA_KEY]: restoreId };
}

/** The old ID a previous restore stamped on a target resource (tags, metadata, properties), if any. */
export function readSourceId(fields: Record<string, unknown> | undefined): string | undefined {
  if (!fields) return undefined;
  const tags = Array.isArray(fields.tags) ? fields.tags : [];
  for (const tag of tags) if (typeof tag === 'string' && tag.startsWith(SOURCE_TAG_PREFIX)) return tag.slice(SOURCE_TAG_PREFIX.length);
  for (const bag of [fields.metadata, fields.properties, fields]) {
    if (bag !== null && typeof bag === 'object') {
      const value = (bag as Record<string, unknown>)[SOURCE_METADATA_KEY] ?? (bag as Record<string, unknown>)['Permafrost-Source-Id'];
      if (typeof value === 'string' && value !== '') return value;
    }
  }
  return undefined;
}

/** Whether a tag or metadata key is a restore marker (ignored by the fidelity comparison). */
export function isRestoreMarker(value: string): boolean {
  const lower = value.toLowerCase();
  return value.startsWith(SOURCE_TAG_PREFIX) || value.startsWith(RESTORE_TAG_PREFIX) || lower === SOURCE_METADATA_KEY || lower === RESTORE_METADATA_KEY || lower === 'permafrost-source-id' || lower === 'permafrost-restore-id';
}

/** Kinds whose API has tags (else the marker goes into metadata). */
export const TAGGABLE: ReadonlySet<ResourceKind> = new Set(['network', 'subnet', 'subnet_pool', 'port', 'router', 'security_group', 'floating_ip', 'qos_policy', 'server', 'image', 'project']);
