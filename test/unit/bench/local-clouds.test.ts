// `npm run bench -- --quiet-clouds` pauses the local clouds' process groups and always resumes
// them. Tested on dummy processes this test starts in their own process groups (never on the real
// cloud): found through a fake run folder, paused, and resumed after success, after a failure,
// when the pausing process gets SIGTERM, and when it is killed outright (the watchdog).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { describeClouds, findCloudServices, withGroupsPaused } from '../../bench/local-clouds.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pf-test-perf-clouds-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) {
    try {
      process.kill(-c.pid!, 'SIGCONT');
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

/** A sleeping process in its own process group (pgid = pid), as up.sh's setsid gives a service. */
function dummy(marker = 'pf-test-perf-dummy'): ChildProcess {
  const child = spawn('/bin/sh', ['-c', `exec sleep 300 # ${marker}`], { detached: true, stdio: 'ignore' });
  children.push(child);
  return child;
}

/** The state letter of /proc/<pid>/stat: T when stopped, S (or briefly R) when running. */
function state(pid: number): string {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('local clouds in the benchmark', () => {
  it('finds the live services of each instance by pid file and marker, not the shared infrastructure', () => {
    const a = dummy();
    const b = dummy();
    const root = path.join(tmp, 'lib');
    const run = path.join(root, 'devcloud', 'run');
    const infra = path.join(root, 'devcloud-infra', 'run');
    mkdirSync(run, { recursive: true });
    mkdirSync(infra, { recursive: true });
    writeFileSync(path.join(run, 'glance-api.pid'), `${a.pid}\n`);
    writeFileSync(path.join(run, 'glance-api.marker'), 'sleep 300\n');
    writeFileSync(path.join(run, 'nova-api.pid'), `${b.pid}\n`);
    writeFileSync(path.join(run, 'nova-api.marker'), 'something else\n'); // a recycled pid
    writeFileSync(path.join(run, 'gone.pid'), '999999999\n');
    writeFileSync(path.join(infra, 'memcached.pid'), `${b.pid}\n`);
    const found = findCloudServices(root);
    expect(found).toEqual([{ instance: path.join(root, 'devcloud'), service: 'glance-api', pgid: a.pid }]);
    expect(describeClouds(found)).toBe('devcloud (1 services)');
    expect(describeClouds([])).toBe('none');
    expect(findCloudServices(path.join(tmp, 'missing'))).toEqual([]);
  });

  it('pauses the groups while the work runs and resumes them after it, also when it fails', async () => {
    const a = dummy();
    await until(() => state(a.pid!) === 'S');
    const seen = await withGroupsPaused([a.pid!], async () => {
      await until(() => state(a.pid!) === 'T');
      return state(a.pid!);
    });
    expect(seen).toBe('T');
    await until(() => state(a.pid!) !== 'T', 2_000);
    await expect(
      withGroupsPaused([a.pid!], async () => {
        await until(() => state(a.pid!) === 'T');
        throw new Error('a tool failed');
      }),
    ).rejects.toThrow('a tool failed');
    await until(() => state(a.pid!) !== 'T', 2_000);
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  for (const [how, signal] of [
    ['on SIGTERM', 'SIGTERM'],
    ['on an uncaught exception', 'throw'],
    ['when killed outright (SIGKILL, by the watchdog)', 'SIGKILL'],
  ] as const) {
    it(`resumes them ${how}`, async () => {
      const a = dummy();
      await until(() => state(a.pid!) === 'S');
      const module = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench/local-clouds.ts');
      const script =
        `const { pauseGroups } = await import(${JSON.stringify(module)}); pauseGroups([${a.pid}]); console.log('paused');` +
        (signal === 'throw' ? `setTimeout(() => { throw new Error('boom'); }, 300);` : 'setInterval(() => {}, 1000);');
      const holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(holder);
      let out = '';
      holder.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await until(() => out.includes('paused'), 30_000);
      if (signal !== 'throw') await until(() => state(a.pid!) === 'T');
      const code = new Promise<number | null>((r) => holder.on('exit', (c) => r(c)));
      if (signal !== 'throw') holder.kill(signal);
      const exitCode = await code;
      if (signal === 'SIGTERM') expect(exitCode).toBe(143);
      if (signal === 'throw') expect(exitCode).toBe(1);
      await until(() => state(a.pid!) !== 'T', 5_000);
    }, 60_000);
  }
});
