// The temporary-resource tracker of one backup run. Every snapshot, volume and image the export
// creates is tracked the moment the cloud returns its ID; `release` deletes one as soon as it has
// served, and `releaseAll` (called on success, failure and SIGINT/SIGTERM) deletes whatever is
// left in dependency order: images first (an upload holds its source volume), then volumes
// cloned from snapshots, then the snapshots themselves.
import type { Session } from '../openstack/types.js';
import type { TemporaryKind, TemporaryResource, TemporaryTracker } from '../../services/data-export.js';
import { deleteTemporary } from './temporary-deleter.js';
import { temporaryMetadata, temporaryName } from './temporary-naming.js';

export const DELETE_ORDER: TemporaryKind[] = ['image', 'volume', 'volume_snapshot'];

export interface ReleaseFailure {
  resource: TemporaryResource;
  error: string;
}

export type Deleter = (session: Session, res: TemporaryResource) => Promise<void>;

export class BackupTemporaries implements TemporaryTracker {
  private readonly live = new Map<string, TemporaryResource>();

  constructor(
    private readonly session: Session,
    readonly backupId: string,
    private readonly deleter: Deleter = (s, r) => deleteTemporary(s, r),
  ) {}

  nameFor(purpose: string): string {
    return temporaryName(this.backupId, purpose);
  }

  metadata(): Record<string, string> {
    return temporaryMetadata(this.backupId);
  }

  track(resource: TemporaryResource): void {
    this.live.set(key(resource.kind, resource.id), resource);
  }

  /**
   * Deletes one tracked temporary as soon as it has served. Best effort: when the cloud cannot
   * delete it now, it stays tracked, and releaseAll tries again at the end of the run and reports
   * what is left — a temporary that will not go away never costs the data it was made for.
   */
  async release(kind: TemporaryKind, id: string): Promise<void> {
    const res = this.live.get(key(kind, id));
    if (!res) return;
    try {
      await this.deleter(this.session, res);
      this.live.delete(key(kind, id));
    } catch {
      // retried and reported by releaseAll
    }
  }

  /** What is still alive (for messages and tests). */
  pending(): TemporaryResource[] {
    return [...this.live.values()];
  }

  /**
   * Deletes every tracked temporary, kind by kind in DELETE_ORDER (in parallel within a kind).
   * Never throws: failures are returned so the caller can report them (`permafrost cleanup` and
   * the next backup's sweep will find them by name).
   */
  async releaseAll(): Promise<ReleaseFailure[]> {
    const failures: ReleaseFailure[] = [];
    for (const kind of DELETE_ORDER) {
      const batch = [...this.live.values()].filter((r) => r.kind === kind);
      await Promise.all(
        batch.map(async (res) => {
          try {
            await this.deleter(this.session, res);
            this.live.delete(key(res.kind, res.id));
          } catch (err) {
            failures.push({ resource: res, error: err instanceof Error ? err.message : String(err) });
          }
        }),
      );
    }
    return failures;
  }
}

function key(kind: TemporaryKind, id: string): string {
  return `${kind}:${id}`;
}
