// How temporaries are recognised. Every snapshot, volume and image a backup creates carries a
// name starting with `permafrost-backup-<backupId>-`, given when it is created (for an image of
// upload-to-image: the `image_name` of the Cinder action; the image is never modified while
// Cinder uploads into it). Snapshots, volumes and server images also carry metadata naming the
// backup, the host and the process. `permafrost cleanup` (and the sweep at the start of every
// backup) finds leftovers of a crashed run by name and leaves alone those of a run still alive:
// its run lock in the repository has a fresh heartbeat (any host), or it runs on this host (the
// local run registry, run-registry.ts, or that metadata).
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const TEMPORARY_PREFIX = 'permafrost-backup-';
export const META_BACKUP_ID = 'permafrost_backup_id';
export const META_HOST = 'permafrost_host';
export const META_PID = 'permafrost_pid';

/** A fresh backup ID: UTC time (sortable, readable) + random suffix (unique across hosts). */
export function newBackupId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** `permafrost-backup-<backupId>-<purpose>`; purpose says what it is for (e.g. `snap-<volumeId>`). */
export function temporaryName(backupId: string, purpose: string): string {
  return `${TEMPORARY_PREFIX}${backupId}-${purpose}`;
}

/** The backup ID in a temporary's name, or undefined when the name is not a permafrost temporary. */
export function backupIdOfName(name: string | undefined | null): string | undefined {
  if (!name || !name.startsWith(TEMPORARY_PREFIX)) return undefined;
  const m = /^(\d{8}T\d{6}Z-[0-9a-f]{6})(?:-|$)/.exec(name.slice(TEMPORARY_PREFIX.length));
  return m?.[1];
}

export function temporaryMetadata(backupId: string, pid: number = process.pid, host: string = hostname()): Record<string, string> {
  return { [META_BACKUP_ID]: backupId, [META_HOST]: host, [META_PID]: String(pid) };
}

/**
 * Whether the metadata names a live permafrost process of this host. Only a positive answer
 * counts: for another host's run the sweep asks the run lock's heartbeat (sweep.ts).
 */
export function ownerIsAlive(meta: Record<string, unknown> | undefined, host: string = hostname()): boolean {
  if (!meta) return false;
  const pid = Number(meta[META_PID]);
  if (meta[META_HOST] !== host || !Number.isInteger(pid) || pid <= 0) return false;
  return pidIsPermafrost(pid);
}

/** Whether `pid` is a live permafrost process of this host (a recycled pid is someone else's). */
export function pidIsPermafrost(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A recycled pid belongs to some other program: only a permafrost process still owns it.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('permafrost');
  } catch {
    return true; // no /proc (not Linux): trust the signal check
  }
}
