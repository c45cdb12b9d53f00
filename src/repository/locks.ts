// Repository locks (`locks/<id>`): shared for backups, exclusive for prune (and unlock checks).
// A lock is stale when its process is gone (same host, pid no longer alive) or when it was not
// refreshed for STALE_AFTER_MS; stale locks are ignored (and removed by `repo unlock`).
// Protocol: write our lock, then list; if a conflicting live lock exists, remove ours and fail.
import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import { ExitCode, PermafrostError } from '../errors.js';
import type { Backend } from './types.js';
import { FORMAT_VERSION, LOCKS_PREFIX, randomId } from './format.js';

export const REFRESH_EVERY_MS = 5 * 60 * 1000;
export const STALE_AFTER_MS = 30 * 60 * 1000;
/** Age after which a temporary file is debris, taken with a shared / an exclusive lock. */
export const SHARED_TEMP_AGE_MS = 60 * 60 * 1000;
export const EXCLUSIVE_TEMP_AGE_MS = 60 * 1000;

export interface LockInfo {
  version: number;
  id: string;
  exclusive: boolean;
  hostname: string;
  pid: number;
  command: string;
  time: string;
  refreshed: string;
  /** Set on a per-project run lock (run-lock.ts): the project and the backup holding it. */
  run?: { project: string; backupId: string };
  /**
   * The kernel boot and PID namespace the holder ran in: only a process with the same scope can
   * tell from `pid` whether the holder is gone (host names repeat across pods and containers).
   */
  scope?: string;
}

let ownScope: string | null | undefined;

/** This process's boot ID and PID namespace, or null where /proc does not tell them. */
export function processScope(): string | null {
  if (ownScope === undefined) {
    try {
      ownScope = `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}/${readlinkSync('/proc/self/ns/pid')}`;
    } catch {
      ownScope = null;
    }
  }
  return ownScope;
}

/** True when the lock's holder ran in this process's boot and PID namespace and has exited. */
export function heldByGoneLocalProcess(lock: LockInfo): boolean {
  return lock.scope !== undefined && lock.scope === processScope() && !processAlive(lock.pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function isStale(lock: LockInfo, now = Date.now()): { stale: boolean; why?: string } {
  // a lock with a scope is judged by it; older locks (no scope) by host name, as they were written
  const holderGone = lock.scope !== undefined ? heldByGoneLocalProcess(lock) : lock.hostname === os.hostname() && !processAlive(lock.pid);
  if (holderGone) return { stale: true, why: `process ${lock.pid} on this host is gone` };
  const age = now - Date.parse(lock.refreshed);
  if (age > STALE_AFTER_MS) return { stale: true, why: `not refreshed for ${Math.round(age / 60000)} min` };
  return { stale: false };
}

export async function listLocks(backend: Backend): Promise<LockInfo[]> {
  const locks: LockInfo[] = [];
  for await (const { key } of backend.list(LOCKS_PREFIX)) {
    try {
      locks.push(JSON.parse((await backend.get(key)).toString('utf8')) as LockInfo);
    } catch {
      /* vanished between list and get: released meanwhile */
    }
  }
  return locks;
}

function describe(l: LockInfo): string {
  if (l.run) return `run lock of project ${l.run.project} by "${l.command}" (backup ${l.run.backupId}, pid ${l.pid} on ${l.hostname}, since ${l.time})`;
  return `${l.exclusive ? 'exclusive' : 'shared'} lock by "${l.command}" (pid ${l.pid} on ${l.hostname}, since ${l.time})`;
}

/** A new lock record of this process. */
export function newLockInfo(command: string, exclusive: boolean, run?: LockInfo['run']): LockInfo {
  const now = new Date().toISOString();
  const scope = processScope();
  return { version: FORMAT_VERSION, id: randomId(16), exclusive, hostname: os.hostname(), pid: process.pid, command, time: now, refreshed: now, ...(run ? { run } : {}), ...(scope ? { scope } : {}) };
}

/**
 * Writes `info`, then lists the locks: when one of the others is a conflict, removes ours again
 * and returns that conflict (the caller refuses); else the lock is placed.
 */
export async function placeLock(backend: Backend, info: LockInfo, conflicts: (other: LockInfo) => boolean): Promise<LockInfo | undefined> {
  const key = `${LOCKS_PREFIX}${info.id}`;
  await backend.put(key, Buffer.from(JSON.stringify(info)));
  const conflict = (await listLocks(backend)).find((l) => l.id !== info.id && conflicts(l));
  if (conflict) await backend.delete(key);
  return conflict;
}

/** A lock object this process holds: its `refreshed` time is rewritten on a timer until released. */
export class HeldLock {
  private readonly timer: NodeJS.Timeout;
  private released = false;

  constructor(private readonly backend: Backend, readonly info: LockInfo, refreshMs: number) {
    this.timer = setInterval(() => void this.refresh(), refreshMs);
    this.timer.unref();
  }

  /** Writes a fresh heartbeat (also called by the timer). */
  async refresh(): Promise<void> {
    if (this.released) return;
    this.info.refreshed = new Date().toISOString();
    await this.backend.put(`${LOCKS_PREFIX}${this.info.id}`, Buffer.from(JSON.stringify(this.info))).catch(() => undefined);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    await this.backend.delete(`${LOCKS_PREFIX}${this.info.id}`);
  }
}

export class RepoLock extends HeldLock {
  static async acquire(backend: Backend, exclusive: boolean, command: string): Promise<RepoLock> {
    const info = newLockInfo(command, exclusive);
    const conflict = await placeLock(backend, info, (l) => !isStale(l).stale && (exclusive || l.exclusive));
    if (conflict) {
      throw new PermafrostError(
        `the repository ${backend.location} is locked: ${describe(conflict)}. Wait for it to finish; if that process is gone for good, run \`permafrost repo unlock --repo ${backend.location}\``,
        ExitCode.repository,
      );
    }
    // Debris of writes killed midway: a shared lock may run beside other writers, so only old
    // files go; under an exclusive lock no writer is alive and a minute is margin enough.
    await backend.removeStaleTemporaries?.(exclusive ? EXCLUSIVE_TEMP_AGE_MS : SHARED_TEMP_AGE_MS).catch(() => 0);
    return new RepoLock(backend, info, REFRESH_EVERY_MS);
  }
}

/** Removes stale locks (or all, with `all`); returns what was removed. */
export async function unlock(backend: Backend, all: boolean): Promise<{ removed: LockInfo[]; kept: LockInfo[] }> {
  const removed: LockInfo[] = [];
  const kept: LockInfo[] = [];
  for (const l of await listLocks(backend)) {
    if (all || isStale(l).stale) {
      await backend.delete(`${LOCKS_PREFIX}${l.id}`);
      removed.push(l);
    } else kept.push(l);
  }
  return { removed, kept };
}
