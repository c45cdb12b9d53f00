// Installs the peers the benchmark compares against (restic, borg) and GNU time from Debian when
// they are missing, so `npm run bench` works on a fresh machine.
import { execFileSync, spawnSync } from 'node:child_process';

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export function ensurePeers(needed: { restic: boolean; borg: boolean }, install: boolean, log: (m: string) => void): void {
  const missing: string[] = [];
  if (!has('/usr/bin/time')) missing.push('time');
  if (needed.restic && !has('restic')) missing.push('restic');
  if (needed.borg && !has('borg')) missing.push('borgbackup');
  if (missing.length === 0) return;
  if (!install) throw new Error(`missing: ${missing.join(', ')} (install them, or drop --no-install)`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const run = (args: string[]): void => {
    log(`bench: ${[...sudo, ...args].join(' ')}`);
    execFileSync(sudo[0] ?? args[0], sudo.length ? [...sudo.slice(1), ...args] : args.slice(1), {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  };
  try {
    run(['apt-get', 'install', '-y', '--no-install-recommends', ...missing]);
  } catch {
    // A fresh machine has no package lists yet.
    run(['apt-get', 'update']);
    run(['apt-get', 'install', '-y', '--no-install-recommends', ...missing]);
  }
}

export function toolVersions(): Record<string, string> {
  const v = (cmd: string, args: string[]): string => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n')[0];
    } catch {
      return 'not installed';
    }
  };
  return { node: process.version, restic: v('restic', ['version']), borg: v('borg', ['--version']) };
}
