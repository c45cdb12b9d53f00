// What a backup run tells the outside world while it works. The runner emits events; a
// reporter (src/backup/reporters.ts) renders them as progress bars on a terminal, JSON lines for
// scripts (`--json`), or plain lines in a log.
import type { ResourceKind } from '../model/kinds.js';
import type { ResourceStatus } from '../model/resource.js';
import type { SnapshotStats } from '../repository/types.js';

export type BackupEvent =
  | { event: 'project-start'; projectId: string; projectName: string; backupId: string; parent?: string }
  | { event: 'sweep'; projectId: string; deleted: number; inUse: number; failed: number; error?: string; registryError?: string }
  | { event: 'inventory'; projectId: string; counts: Record<string, number>; skippedKinds: number; failedKinds: number }
  | { event: 'data-plan'; projectId: string; jobs: number; expectedBytes: number }
  | { event: 'resource-step'; kind: ResourceKind; id: string; step: string }
  | { event: 'resource-done'; kind: ResourceKind; id: string; name: string; status: ResourceStatus; bytes: number; reason?: string }
  | { event: 'temporaries'; projectId: string; deleted: number; left: Array<{ kind: string; id: string; error: string }> }
  | { event: 'project-done'; projectId: string; projectName: string; snapshot?: string; status: 'ok' | 'partial' | 'failed'; stats?: SnapshotStats; error?: string };

export interface BackupReporter {
  /** A resource with data starts: `expected` bytes (may be unknown). */
  begin(kind: ResourceKind, id: string, name: string, expected?: number): void;
  /** Bytes of one resource flowed into the repository. */
  bytes(kind: ResourceKind, id: string, n: number): void;
  emit(event: BackupEvent): void;
  /** Stops progress rendering (before the final report is printed). */
  close(): void;
}
