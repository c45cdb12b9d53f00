// The local OpenStack clouds of test/cloud (up.sh) on the benchmark machine: whether they run, and
// `--quiet-clouds`, which pauses their services for the run (SIGSTOP to each service's process
// group) so that their background work does not take CPU from the tools being measured.
//
// up.sh starts every service with setsid (process group id = pid) and records it in
// <state>/run/<service>.pid, with a marker from its command line in <service>.marker (common.sh
// dc_start); a pid counts only while its command line still holds the marker, as in dc_pid_alive,
// so a recycled pid is never signalled. The shared infrastructure (devcloud-infra: libvirtd,
// memcached) is left running: other users of the machine may depend on it.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface CloudService {
  /** State folder of the instance, e.g. /var/lib/devcloud. */
  instance: string;
  service: string;
  /** Process group id (= the pid up.sh recorded). */
  pgid: number;
}

const INFRA = 'devcloud-infra';

/** The live services of every local cloud instance under `root` (/var/lib/devcloud*\/run). */
export function findCloudServices(root = '/var/lib'): CloudService[] {
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => n.startsWith('devcloud') && n !== INFRA);
  } catch {
    return [];
  }
  const services: CloudService[] = [];
  for (const name of names.sort()) {
    const run = path.join(root, name, 'run');
    if (!existsSync(run)) continue;
    for (const file of readdirSync(run).filter((f) => f.endsWith('.pid')).sort()) {
      const service = file.slice(0, -'.pid'.length);
      const pid = Number(readText(path.join(run, file)).trim());
      if (!Number.isInteger(pid) || pid <= 1) continue;
      const marker = readText(path.join(run, `${service}.marker`)).trim();
      const cmdline = readText(`/proc/${pid}/cmdline`).replace(/\0/g, ' ');
      if (!cmdline || (marker && !cmdline.includes(marker))) continue;
      services.push({ instance: path.join(root, name), service, pgid: pid });
    }
  }
  return services;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** "devcloud (20 services), devcloud-two (20 services)" or "none". */
export function describeClouds(services: CloudService[]): string {
  const counts = new Map<string, number>();
  for (const s of services) {
    const name = path.basename(s.instance);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts.size ? [...counts].map(([n, c]) => `${n} (${c} services)`).join(', ') : 'none';
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is gone (the service stopped meanwhile): nothing to pause or resume.
  }
}

/** Paused process groups; resume() is idempotent. */
export interface Pause {
  readonly groups: number[];
  resume(): void;
}

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * Sends SIGSTOP to every group and makes sure they get SIGCONT again: at resume(), at exit, on
 * SIGINT/SIGTERM/SIGHUP (then exits with 128 + the signal), on an uncaught exception, and, if this
 * process is killed outright, by a detached watchdog shell that waits for it to end.
 */
export function pauseGroups(groups: number[]): Pause {
  let paused = true;
  const handlers: [string, (...args: unknown[]) => void][] = [];
  const resume = (): void => {
    if (!paused) return;
    paused = false;
    for (const g of groups) signalGroup(g, 'SIGCONT');
    for (const [event, handler] of handlers) process.off(event, handler);
    watchdog.kill('SIGTERM');
  };
  const onSignal = (signal: unknown): void => {
    resume();
    process.exit(SIGNAL_EXIT[signal as NodeJS.Signals] ?? 1);
  };
  const onException = (err: unknown): void => {
    resume();
    console.error(`bench: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(1);
  };
  handlers.push(['exit', resume], ['uncaughtException', onException], ['unhandledRejection', onException]);
  for (const s of Object.keys(SIGNAL_EXIT)) handlers.push([s, onSignal]);
  for (const [event, handler] of handlers) process.on(event, handler);
  const watchdog = startWatchdog(groups);
  for (const g of groups) signalGroup(g, 'SIGSTOP');
  return { groups, resume };
}

/** A shell outside this process's group that resumes the groups once this process is gone. */
function startWatchdog(groups: number[]) {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; for g in ${groups.join(' ')}; do kill -CONT -$g 2>/dev/null; done`;
  const child = spawn('/bin/sh', ['-c', `trap 'exit 0' TERM; ${script}`], { detached: true, stdio: 'ignore' });
  child.unref();
  return child;
}

/** Runs `work` with the groups paused, and resumes them however `work` ends. */
export async function withGroupsPaused<T>(groups: number[], work: () => Promise<T>): Promise<T> {
  const pause = pauseGroups(groups);
  try {
    return await work();
  } finally {
    pause.resume();
  }
}
