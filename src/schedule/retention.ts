// The end of every scheduled run: forget (and optionally prune) applied to the snapshots of the
// projects the run backed up, one group per project, with forget's own policy code. A schedule
// never touches snapshots of projects it did not back up.
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, PermafrostError } from '../errors.js';
import { applyPolicy, type RetentionPolicy } from '../repository/forget-policy.js';
import { snapshotKey } from '../repository/format.js';
import { RepoLock } from '../repository/locks.js';
import { prune } from '../repository/prune.js';
import type { PermafrostRepository } from '../repository/repository.js';
import type { SnapshotInfo } from '../repository/types.js';

export interface ProjectRetention {
  projectId: string;
  kept: string[];
  removed: string[];
}

export interface RetentionResult {
  projects: ProjectRetention[];
  prune?: { packsDeleted: number; packsRepacked: number; bytesFreed: number };
}

/** How long forget waits for backups of other schedules to release the repository. */
const LOCK_ATTEMPTS = 20;
const LOCK_RETRY_MS = 30_000;

async function exclusiveLock(repo: PermafrostRepository, signal?: AbortSignal): Promise<RepoLock> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await RepoLock.acquire(repo.backend, true, 'schedule forget');
    } catch (err) {
      const busy = err instanceof PermafrostError && err.exitCode === ExitCode.repository;
      if (!busy || attempt >= LOCK_ATTEMPTS || signal?.aborted) throw err;
      await sleep(LOCK_RETRY_MS, undefined, { signal }).catch(() => undefined);
    }
  }
}

/** Snapshots of each project, by project ID (type `project`, tag projectId). */
export function projectGroups(snapshots: SnapshotInfo[], projectIds: readonly string[]): Map<string, SnapshotInfo[]> {
  const groups = new Map<string, SnapshotInfo[]>(projectIds.map((id) => [id, []]));
  for (const s of snapshots) {
    if (s.type === 'project') groups.get(s.tags.projectId ?? '')?.push(s);
  }
  return groups;
}

export async function applyRetention(repo: PermafrostRepository, projectIds: readonly string[], policy: RetentionPolicy, opts: { prune: boolean; signal?: AbortSignal }): Promise<RetentionResult> {
  if (projectIds.length === 0) return { projects: [] };
  const groups = projectGroups(await repo.listSnapshots(), projectIds);
  const projects = [...groups].map(([projectId, list]) => {
    const d = applyPolicy(list, policy);
    return { projectId, kept: d.keep.map((k) => k.snapshot.id), removed: d.remove.map((s) => s.id) };
  });
  const remove = projects.flatMap((p) => p.removed);
  if (remove.length > 0) {
    const lock = await exclusiveLock(repo, opts.signal);
    try {
      for (const id of remove) await repo.backend.delete(snapshotKey(id));
    } finally {
      await lock.release();
    }
  }
  if (!opts.prune || remove.length === 0) return { projects };
  const report = await prune(repo);
  return { projects, prune: { packsDeleted: report.packsDeleted, packsRepacked: report.packsRepacked, bytesFreed: report.bytesFreed } };
}
