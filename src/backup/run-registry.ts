// Local registry of the backups running on this host, and per-resource locks between the
// permafrost processes of this host. Both are small files under the user's state directory
// (`$PERMAFROST_STATE_DIR`, else `$XDG_STATE_HOME/permafrost`, else `~/.local/state/permafrost`):
//   running/<backupId>.json   one per running backup (pid, host, project), removed on exit;
//                             a file whose pid is dead is stale (SIGKILL, power cut).
//   locks/<key>.lock          held while a process does something to a resource that must not
//                             overlap with another process (a snapshot of an attached volume).
// The sweeper asks the registry whether a backup ID is still running here: that needs nothing
// written to the temporaries themselves (an image created by upload-to-image must not be
// modified before it is active: a PATCH during the upload can make Glance lose it).
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import path from 'node:path';
import { AsyncLocalStorage } from 'node:async_hooks';
import { pidIsPermafrost } from './temporary-naming.js';

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PERMAFROST_STATE_DIR) return env.PERMAFROST_STATE_DIR;
  if (env.XDG_STATE_HOME) return path.join(env.XDG_STATE_HOME, 'permafrost');
  return path.join(env.HOME ?? homedir(), '.local', 'state', 'permafrost');
}

interface RunFile {
  backupId: string;
  pid: number;
  host: string;
  projectId?: string;
  startedAt: string;
}

function runFile(backupId: string, dir: string): string {
  return path.join(dir, 'running', `${backupId.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);
}

export interface RunRegistration {
  /** Where the registration lives, or undefined when it could not be written. */
  file?: string;
  error?: string;
  release(): void;
}

/**
 * Registers a running backup on this host. Never throws: a state directory that cannot be
 * written leaves the temporaries that carry owner metadata (snapshots, clones) recognisable as
 * alive, but not the images of upload-to-image; the caller reports the error.
 */
export function registerRun(backupId: string, info: { projectId?: string } = {}, dir: string = stateDir()): RunRegistration {
  const file = runFile(backupId, dir);
  const content: RunFile = { backupId, pid: process.pid, host: hostname(), ...(info.projectId ? { projectId: info.projectId } : {}), startedAt: new Date().toISOString() };
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${JSON.stringify(content)}\n`, { mode: 0o600 });
  } catch (err) {
    return { error: `could not register the run in ${path.dirname(file)}: ${(err as Error).message}`, release: () => {} };
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    rmSync(file, { force: true });
  };
  process.on('exit', release);
  return { file, release };
}

/**
 * Whether the backup `backupId` is running on this host according to the registry: true (its
 * process lives), false (registered, but its process is gone: the stale file is removed), or
 * undefined (not registered here: another host, an older version, or never started).
 */
export function runIsAlive(backupId: string, dir: string = stateDir()): boolean | undefined {
  const file = runFile(backupId, dir);
  let run: RunFile;
  try {
    run = JSON.parse(readFileSync(file, 'utf8')) as RunFile;
  } catch {
    return undefined;
  }
  if (run.host !== hostname()) return undefined; // a state directory shared between hosts
  if (pidIsPermafrost(run.pid)) return true;
  rmSync(file, { force: true });
  return false;
}

/** The backup IDs registered as running on this host (stale entries removed). */
export function runningBackups(dir: string = stateDir()): string[] {
  let names: string[];
  try {
    names = readdirSync(path.join(dir, 'running'));
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).filter((id) => runIsAlive(id, dir) === true);
}

/** The host locks the current async call chain holds (a lock is reentrant within its holder). */
const heldLocks = new AsyncLocalStorage<ReadonlySet<string>>();

/**
 * Runs `fn` while holding the host-wide lock `key` (a file created exclusively; a lock whose
 * holder died is taken over). Waits for it at most `timeoutMs`; `onWait` is told once when it
 * has to wait. Reentrant for `fn`'s own call chain, exclusive against every other (in this
 * process too). Without a writable state directory it runs `fn` unlocked.
 */
export async function withHostLock<T>(
  key: string,
  fn: () => Promise<T>,
  opts: { timeoutMs?: number; signal?: AbortSignal; onWait?: (holderPid: number) => void; dir?: string } = {},
): Promise<T> {
  const dir = path.join(opts.dir ?? stateDir(), 'locks');
  const file = path.join(dir, `${key.replace(/[^A-Za-z0-9_.-]/g, '_')}.lock`);
  const held = heldLocks.getStore() ?? new Set<string>();
  if (held.has(file)) return fn();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return fn();
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
  let told = false;
  for (;;) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return fn();
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(file, 'utf8').trim());
    } catch {
      continue; // released meanwhile
    }
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && !pidIsPermafrost(holder)) {
      rmSync(file, { force: true }); // its holder died
      continue;
    }
    if (opts.signal?.aborted || Date.now() > deadline) {
      throw new Error(`gave up waiting for the lock ${key} held by permafrost process ${holder} on this host`);
    }
    if (!told) {
      told = true;
      opts.onWait?.(holder);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  try {
    return await heldLocks.run(new Set([...held, file]), fn);
  } finally {
    rmSync(file, { force: true });
  }
}

/** withHostLock on several keys, taken in sorted order (two processes never wait on each other). */
export async function withHostLocks<T>(keys: string[], fn: () => Promise<T>, opts: { timeoutMs?: number; signal?: AbortSignal; onWait?: (holderPid: number, key: string) => void; dir?: string } = {}): Promise<T> {
  const sorted = [...new Set(keys)].sort();
  const take = (i: number): Promise<T> => {
    const key = sorted[i];
    if (key === undefined) return fn();
    const { onWait, ...rest } = opts;
    return withHostLock(key, () => take(i + 1), { ...rest, ...(onWait ? { onWait: (pid: number) => onWait(pid, key) } : {}) });
  };
  return take(0);
}

/** The host lock key of a server: held while a backup snapshots it or one of its volumes. */
export function serverLockKey(serverId: string): string {
  return `server-${serverId}`;
}
