// Per-project run locks: a backup of a project holds one while it runs, so two backups of the same
// project never overlap, whichever hosts they run on (a Kubernetes CronJob gets a new host name
// per pod). The lock is an object in the repository (`locks/<id>`, a shared lock that also holds
// off prune) carrying the project and the backup ID, refreshed by a heartbeat. Liveness is the
// heartbeat's age, never the host name: a lock not refreshed for RUN_STALE_AFTER_MS belongs to a
// run that crashed; so does one whose holder ran in this very kernel boot and PID namespace and
// has exited (a crashed backup does not block the next one on the same machine for minutes). The sweep of temporaries asks the same question (liveRunIds).
// Protocol: write ours, then list; any other live lock of the project → remove ours and refuse
// (two runs starting at the same instant both refuse rather than both run).
import { ExitCode, PermafrostError } from '../errors.js';
import { HeldLock, heldByGoneLocalProcess, listLocks, newLockInfo, placeLock, type LockInfo } from './locks.js';
import type { Backend, RunLockRequest } from './types.js';

export const RUN_REFRESH_EVERY_MS = 30_000;
export const RUN_STALE_AFTER_MS = 3 * 60_000;

export interface RunLockTiming {
  refreshMs?: number;
  staleMs?: number;
}

export function runIsLive(lock: LockInfo, now = Date.now(), staleMs = RUN_STALE_AFTER_MS): boolean {
  if (heldByGoneLocalProcess(lock)) return false;
  return now - Date.parse(lock.refreshed) <= staleMs;
}

/** The backup IDs whose run lock in the repository has a fresh heartbeat. */
export async function liveRunIds(backend: Backend, staleMs = RUN_STALE_AFTER_MS): Promise<Set<string>> {
  const now = Date.now();
  return new Set((await listLocks(backend)).filter((l) => l.run && runIsLive(l, now, staleMs)).map((l) => l.run!.backupId));
}

export function describeRun(l: LockInfo): string {
  return `backup ${l.run?.backupId} ("${l.command}", pid ${l.pid} on ${l.hostname}) started ${l.time}, heartbeat ${l.refreshed}`;
}

export class RunLock extends HeldLock {
  static async acquire(backend: Backend, req: RunLockRequest, timing: RunLockTiming = {}): Promise<RunLock> {
    const info = newLockInfo(req.command, false, { project: req.project, backupId: req.backupId });
    const checkedAt = Date.now();
    const other = await placeLock(backend, info, (l) => l.run?.project === req.project && runIsLive(l, checkedAt, timing.staleMs));
    if (other) {
      const name = req.projectName ? `${req.projectName} (${req.project})` : req.project;
      throw new PermafrostError(
        `project ${name} is being backed up by another run: ${describeRun(other)}. Two backups of one project never overlap: ` +
          `wait for it to finish (a run whose heartbeat is older than ${Math.round((timing.staleMs ?? RUN_STALE_AFTER_MS) / 1000)} s counts as crashed and no longer blocks)`,
        ExitCode.busy,
      );
    }
    return new RunLock(backend, info, timing.refreshMs ?? RUN_REFRESH_EVERY_MS);
  }
}
