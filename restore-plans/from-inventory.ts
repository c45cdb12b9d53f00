// Adapters from what other parts of permafrost produce to the planner's inputs: the backup
// manifest (src/backup/manifest.ts) and the target project's inventory records.
import type { BackupManifest } from '../src/backup/manifest.js';
import type { ResourceRecord } from '../src/model/resource.js';
import type { ExistingResource, SnapshotManifestInput } from './planner-input.js';
import { readSourceId } from './source-marker.js';

export function manifestInputFromBackup(manifest: BackupManifest, snapshot: { id: string; time?: string }, authUrl?: string): SnapshotManifestInput {
  return {
    snapshotId: snapshot.id,
    snapshotTime: snapshot.time ?? manifest.finishedAt,
    source: {
      cloud: manifest.cloud,
      ...(manifest.region ? { region: manifest.region } : {}),
      ...(authUrl ? { authUrl } : {}),
      project: { id: manifest.project.id, name: manifest.project.name, ...(manifest.project.domainId ? { domainId: manifest.project.domainId } : {}) },
    },
    resources: manifest.resources,
  };
}

/** The target project's inventory as "existing resources", with the marks of earlier restores. */
export function existingFromInventory(records: readonly ResourceRecord[]): ExistingResource[] {
  return records
    .filter((r) => r.status === 'ok')
    .map((r) => {
      const sourceId = readSourceId(r.fields);
      return { kind: r.kind, id: r.id, name: r.name, fields: r.fields, refs: r.refs, ...(sourceId ? { sourceId } : {}) };
    });
}
