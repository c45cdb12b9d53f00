// Schedules on a real Redis with real `permafrost worker` processes (issue 17, point 2):
//   - two workers, a one-minute cron pattern: exactly one run per minute for three minutes (no
//     duplicate, no miss), each a real backup of a small project on the local cloud followed by
//     its retention (keep-last 2 leaves 2 snapshots), and `schedule list` shows the results;
//   - the same pattern on a queue with no worker: the run shows as missed;
//   - SIGKILL of the worker running a job: the other worker takes it over (stalled-job check)
//     and completes it; `schedule exec` (systemd/cron) runs the same backup + retention alone.
// The two scenarios run side by side (own queues, own repositories) to keep the file short.
// Redis databases 11 (two workers), 12 (no worker) and 13 (takeover) are this suite's own.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, freshRepository } from './helpers/backup.js';
import { osJson, permafrost, REPO_ROOT } from './helpers/openstack-cli.js';
import type { RunRecord, RunStart } from '../../src/schedule/run-records.js';
import type { ScheduleStatus } from '../../src/schedule/status.js';

const run = promisify(execFile);
const ADMIN = 'devcloud-admin';
const suffix = randomBytes(3).toString('hex');
const PROJECT = `pf-test-schedules-${suffix}`;
const QUEUE = { twoWorkers: 'redis://127.0.0.1:6379/11', noWorker: 'redis://127.0.0.1:6379/12', takeover: 'redis://127.0.0.1:6379/13' };
const DBS = [11, 12, 13];

let repoMinutely: string;
let repoTakeover: string;
const workers: Array<{ proc: ChildProcess; log: string[] }> = [];

function startWorker(queue: string): { proc: ChildProcess; log: string[] } {
  const proc = spawn('node', ['bin/permafrost.js', 'worker', '--queue', queue, '--lock-duration', '10', '--stalled-interval', '5'], { cwd: REPO_ROOT, env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
  const w = { proc, log: [] as string[] };
  proc.stderr!.on('data', (b: Buffer) => w.log.push(b.toString()));
  workers.push(w);
  return w;
}

async function waitForLog(w: { log: string[] }, text: string): Promise<void> {
  for (let i = 0; i < 300 && !w.log.join('').includes(text); i++) await sleep(100);
  expect(w.log.join(''), 'worker log').toContain(text);
}

async function stopWorker(w: { proc: ChildProcess }): Promise<void> {
  if (w.proc.exitCode !== null || w.proc.signalCode !== null) return;
  const exited = new Promise((resolve) => w.proc.once('exit', resolve));
  w.proc.kill('SIGTERM');
  await Promise.race([exited, sleep(60_000)]);
  if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
}

async function os(args: string[]): Promise<void> {
  await osJson(ADMIN, [...args]).catch(async (err) => {
    throw new Error(`openstack ${args.join(' ')}: ${(err as Error).message}`);
  });
}

async function list(queue: string): Promise<{ workers: number; schedules: Array<ScheduleStatus & { schedule: { name: string } }> }> {
  const res = await permafrost(['schedule', 'list', '--queue', queue, '--json'], ENV);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout);
}

async function runStarts(db: number, name: string): Promise<RunStart[]> {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, db });
  try {
    return (await redis.lrange(`permafrost:schedule:${name}:starts`, 0, -1)).map((v) => JSON.parse(v) as RunStart);
  } finally {
    redis.disconnect();
  }
}

async function snapshotsOf(repo: string, projectId: string): Promise<string[]> {
  const res = await permafrost(['snapshots', '--repo', repo, '--json'], ENV);
  expect(res.code, res.stderr).toBe(0);
  const all = JSON.parse(res.stdout) as Array<{ id: string; tags: Record<string, string> }>;
  return all.filter((s) => s.tags.projectId === projectId).map((s) => s.id);
}

let projectId: string;

describe('permafrost schedule + worker on Redis', () => {
  beforeAll(async () => {
    for (const db of DBS) {
      const redis = new Redis({ host: '127.0.0.1', port: 6379, db });
      await redis.flushdb();
      redis.disconnect();
    }
    const [project, admin] = await Promise.all([
      osJson<{ id: string }>(ADMIN, ['project', 'create', PROJECT, '--description', 'permafrost schedules test']),
      osJson<{ id: string }>(ADMIN, ['user', 'show', 'admin']),
    ]);
    projectId = project.id;
    const network = async (): Promise<void> => {
      await os(['network', 'create', '--project', projectId, `${PROJECT}-net`]);
      await os(['subnet', 'create', '--project', projectId, '--network', `${PROJECT}-net`, '--subnet-range', '10.231.0.0/24', `${PROJECT}-subnet`]);
    };
    [repoMinutely, repoTakeover] = await Promise.all([
      freshRepository('pf-test-schedules-minutely'),
      freshRepository('pf-test-schedules-takeover'),
      // a member role: the backup then runs with a token scoped to the project
      run('openstack', ['--os-cloud', ADMIN, 'role', 'add', '--user', admin.id, '--project', projectId, 'member'], { timeout: 120_000 }),
      network(),
    ]);
  });

  afterAll(async () => {
    await Promise.all(workers.map(stopWorker));
    for (const db of DBS) {
      const redis = new Redis({ host: '127.0.0.1', port: 6379, db });
      await redis.flushdb();
      redis.disconnect();
    }
    if (projectId) {
      const cleanup = (args: string[]) => run('openstack', ['--os-cloud', ADMIN, ...args], { timeout: 120_000 });
      await cleanup(['subnet', 'delete', `${PROJECT}-subnet`]);
      await cleanup(['network', 'delete', `${PROJECT}-net`]);
      await cleanup(['project', 'delete', projectId]);
    }
    for (const repo of [repoMinutely, repoTakeover]) if (repo) await rm(path.dirname(repo), { recursive: true, force: true });
  });

  const scheduleArgs = (name: string, queue: string, repo: string, cron = '* * * * *') => [
    'schedule', 'add', name, '--cron', cron, '--os-cloud', ADMIN, '--project', PROJECT, '--services', 'identity,networks', '--keep-last', '2', '--repo', repo, '--queue', queue,
  ];

  it.concurrent('two workers run a one-minute schedule exactly once per minute for three minutes, with retention; no worker: missed', async () => {
    const [w1, w2] = [startWorker(QUEUE.twoWorkers), startWorker(QUEUE.twoWorkers)];
    await Promise.all([waitForLog(w1!, 'runs scheduled-backup'), waitForLog(w2!, 'runs scheduled-backup')]);
    const added = await permafrost(scheduleArgs('minutely', QUEUE.twoWorkers, repoMinutely), ENV);
    expect(added.code, added.stderr).toBe(0);
    const lonely = await permafrost(scheduleArgs('lonely', QUEUE.noWorker, repoMinutely), ENV);
    expect(lonely.code, lonely.stderr).toBe(0);

    // three fire times, each run to its end
    let runs: RunRecord[] = [];
    for (let i = 0; i < 4 * 60 / 3; i++) {
      const status = (await list(QUEUE.twoWorkers)).schedules.find((s) => s.name === 'minutely')!;
      runs = status.runs.filter((r) => r.trigger === 'schedule' && r.status !== 'running');
      if (runs.length >= 3) break;
      await sleep(3000);
    }
    expect(runs.length, JSON.stringify(runs)).toBeGreaterThanOrEqual(3);
    const three = runs.slice(0, 3).reverse();
    for (const r of three) expect(r.status, `${new Date(r.dueAt).toISOString()}: ${r.reason}`).toBe('ok');
    // one minute apart: none missed between them
    expect(three[1]!.dueAt - three[0]!.dueAt).toBe(60_000);
    expect(three[2]!.dueAt - three[1]!.dueAt).toBe(60_000);
    // exactly one start per fire time, across both workers
    const starts = await runStarts(11, 'minutely');
    for (const r of three) expect(starts.filter((s) => s.dueAt === r.dueAt), JSON.stringify(starts)).toHaveLength(1);
    // retention: keep-last 2 of this project's snapshots, after every run
    expect(three.map((r) => r.retention)).toEqual([
      { kept: 1, removed: 0 },
      { kept: 2, removed: 0 },
      { kept: 2, removed: 1 },
    ]);
    const left = await snapshotsOf(repoMinutely, projectId);
    expect(left.sort()).toEqual([...three[1]!.snapshots!, ...three[2]!.snapshots!].sort());

    const status = (await list(QUEUE.twoWorkers)).schedules.find((s) => s.name === 'minutely')!;
    expect(status.missed).toEqual([]);
    expect(status.lastRun?.status).toBe('ok');
    expect(Date.parse(status.next!)).toBeGreaterThan(Date.now() - 60_000);
    const text = await permafrost(['schedule', 'list', '--queue', QUEUE.twoWorkers], ENV);
    expect(text.stdout).toContain('minutely: cron "* * * * *" (UTC)');
    expect(text.stdout).toMatch(/last run: +\S+ ok: snapshots [0-9a-f]{8}; retention kept 2, removed \d; worker /);

    // the same pattern on a queue no worker serves: its fire times show as missed
    const lonelyStatus = await list(QUEUE.noWorker);
    expect(lonelyStatus.workers).toBe(0);
    const missed = lonelyStatus.schedules.find((s) => s.name === 'lonely')!;
    // at least the fire times of the second and third run (the first may precede its creation)
    expect(missed.missed.length).toBeGreaterThanOrEqual(1);
    expect(missed.missed).toContain(new Date(three[1]!.dueAt).toISOString());
    expect(missed.lastRun).toBeUndefined();
    const lonelyText = await permafrost(['schedule', 'list', '--queue', QUEUE.noWorker], ENV);
    expect(lonelyText.stdout).toMatch(/missed: +\d+ \(.*\): no worker was up/);
    expect(lonelyText.stdout).toContain('no worker is connected to this queue');
    await Promise.all([stopWorker(w1!), stopWorker(w2!)]);
    expect([w1!.proc.exitCode, w2!.proc.exitCode]).toEqual([0, 0]);
  });

  it.concurrent('a SIGKILLed worker’s run is taken over and completed by the other worker; `schedule exec` runs without a queue', async () => {
    const [w1, w2] = [startWorker(QUEUE.takeover), startWorker(QUEUE.takeover)];
    await Promise.all([waitForLog(w1!, 'runs scheduled-backup'), waitForLog(w2!, 'runs scheduled-backup')]);
    // a pattern that does not fire during the test: the run is started with `schedule run`
    const added = await permafrost(scheduleArgs('takeover', QUEUE.takeover, repoTakeover, '0 0 1 1 *'), ENV);
    expect(added.code, added.stderr).toBe(0);
    const queued = await permafrost(['schedule', 'run', 'takeover', '--queue', QUEUE.takeover], ENV);
    expect(queued.code, queued.stderr).toBe(0);

    let first: RunStart | undefined;
    for (let i = 0; i < 600 && !first; i++) {
      first = (await runStarts(13, 'takeover'))[0];
      if (!first) await sleep(50);
    }
    expect(first, 'a worker started the run').toBeDefined();
    const victim = workers.find((w) => `${hostname()}:${w.proc.pid}` === first!.workerId)!;
    const survivor = victim === w1 ? w2! : w1!;
    victim.proc.kill('SIGKILL');

    let record: RunRecord | undefined;
    for (let i = 0; i < 60; i++) {
      record = (await list(QUEUE.takeover)).schedules.find((s) => s.name === 'takeover')!.lastRun;
      if (record && record.status !== 'running' && record.workerId !== first!.workerId) break;
      await sleep(2000);
    }
    expect(record?.status, JSON.stringify(record)).toBe('ok');
    expect(record!.workerId).toBe(`${hostname()}:${survivor.proc.pid}`);
    expect(record!.attempts).toBe(2);
    expect(record!.trigger).toBe('manual');
    expect(survivor.log.join('')).toContain('stalled');
    const starts = await runStarts(13, 'takeover');
    expect(starts.map((s) => s.workerId)).toEqual([first!.workerId, `${hostname()}:${survivor.proc.pid}`]);
    expect(await snapshotsOf(repoTakeover, projectId)).toEqual(record!.snapshots);
    await stopWorker(survivor);

    // `schedule exec` (what the systemd service and crontab line start): the same run in its own process
    const before = await snapshotsOf(repoTakeover, projectId);
    expect(before).toHaveLength(1);
    const exec = await permafrost(['schedule', 'exec', 'by-hand', '--os-cloud', ADMIN, '--project', PROJECT, '--services', 'identity,networks', '--keep-last', '1', '--repo', repoTakeover], ENV);
    expect(exec.code, exec.stderr).toBe(0);
    expect(exec.stdout).toMatch(/ok: snapshots [0-9a-f]{8}; retention kept 1, removed 1/);
    const after = await snapshotsOf(repoTakeover, projectId);
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
    const noPassword = await permafrost(['schedule', 'exec', 'by-hand', '--os-cloud', ADMIN, '--project', PROJECT, '--keep-last', '1', '--repo', repoTakeover], { ...ENV, PERMAFROST_PASSWORD: undefined });
    expect(noPassword.code).toBe(8);
    expect(noPassword.stdout).toContain('PERMAFROST_PASSWORD_FILE');
  });
});
