// A backup killed with SIGKILL at a random point leaves temporaries (snapshots, clones, images)
// behind; `permafrost cleanup` removes every one of them, the next backup's sweep does too, and
// the repository still passes `repo check` (no half snapshot is visible). Also: SIGTERM stops a
// backup cleanly, deleting its temporaries itself. Other suites back up the demo project at the
// same time: only this suite's runs (by backup ID) are checked, and their live temporaries must
// be left alone by the sweep.
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, permafrost } from './helpers/openstack-cli.js';
import { ENV, backup, backupIdsOf, freshRepository, leftoverTemporaries } from './helpers/backup.js';

const CLOUD = 'devcloud-demo';
let repo: string;

/**
 * Starts a data-heavy backup and kills it with `signal` `afterMs` after its data phase began (the
 * `data-plan` event: the captures start right then), so the kill lands among the snapshots,
 * clones, uploads and downloads — or earlier, as soon as only the last data job is left or 90 % of
 * the planned bytes went through: a kill a fixed time in once came after a fast backup had already
 * finished. Resolves with its exit and where the kill landed.
 */
function backupKilledAfter(afterMs: number, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; backupIds: string[]; killedAt: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['bin/permafrost.js', 'backup', '--repo', repo, '--os-cloud', CLOUD, '--services', 'volumes,compute', '--exclude', 'volume:pf-test-*', '--exclude', 'server:pf-test-*', '--json-events'], {
      cwd: REPO_ROOT,
      env: ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let partial = '';
    let timer: NodeJS.Timeout | undefined;
    let started = 0;
    let plan: { jobs: number; expectedBytes: number } | undefined;
    let done = 0;
    const bytes = new Map<string, number>();
    let killedAt = 'not killed';
    const kill = (why: string): void => {
      if (killedAt !== 'not killed') return;
      killedAt = `${Date.now() - started} ms into the data phase (${why})`;
      clearTimeout(timer);
      child.kill(signal);
    };
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const lines = (partial + c.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        let e: { event?: string; jobs?: number; expectedBytes?: number; kind?: string; id?: string; bytes?: number };
        try {
          e = JSON.parse(line) as typeof e;
        } catch {
          continue;
        }
        if (e.event === 'data-plan' && !plan) {
          plan = { jobs: e.jobs ?? 0, expectedBytes: e.expectedBytes ?? 0 };
          started = Date.now();
          timer = setTimeout(() => kill('timer'), afterMs);
        } else if (plan && e.event === 'resource-done') {
          bytes.set(`${e.kind}/${e.id}`, e.bytes ?? 0);
          if (++done >= plan.jobs - 1) kill('only the last data job left');
        } else if (plan && e.event === 'resource-bytes') {
          bytes.set(`${e.kind}/${e.id}`, e.bytes ?? 0);
          const total = [...bytes.values()].reduce((a, b) => a + b, 0);
          if (plan.expectedBytes > 0 && total >= 0.9 * plan.expectedBytes) kill('90 % of the planned bytes through');
        }
      }
    });
    child.stderr.resume();
    // a safety net: never let a stuck child outlive the test
    const guard = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000);
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      clearTimeout(guard);
      resolve({ code, signal: sig, backupIds: backupIdsOf(stdout), killedAt });
    });
  });
}

/** Requests the killed process had in flight may still create resources for a few seconds. */
const settle = () => new Promise((r) => setTimeout(r, 15_000));

async function repoCheck(): Promise<void> {
  const check = await permafrost(['repo', 'check', '--repo', repo], ENV);
  expect(check.code, check.stdout + check.stderr).toBe(0);
}

describe('permafrost backup: crash safety of temporary resources', () => {
  beforeAll(async () => {
    repo = await freshRepository('pf-test-backup-crash');
  });

  afterAll(async () => {
    // whatever happened above, leave the project clean
    await permafrost(['cleanup', '--os-cloud', CLOUD], ENV);
    if (repo) await rm(path.dirname(repo), { recursive: true, force: true });
  });

  it('SIGKILL at a random point, then `permafrost cleanup`, leaves no temporary and a sound repository', async () => {
    // somewhere among the captures and the transfers
    const run = await backupKilledAfter(Math.floor(Math.random() * 30_000), 'SIGKILL');
    expect(run.signal, run.killedAt).toBe('SIGKILL');
    expect(run.backupIds).toHaveLength(1);
    await settle();
    const leftBefore = await leftoverTemporaries(CLOUD, run.backupIds);
    console.log(`killed ${run.killedAt} (backup ${run.backupIds.join(', ') || 'not started'}); ${leftBefore.length} temporaries left: ${leftBefore.join(', ')}`);
    const cleanup = await permafrost(['cleanup', '--os-cloud', CLOUD, '--json'], ENV);
    expect(cleanup.code, cleanup.stdout + cleanup.stderr).toBe(0);
    const res = JSON.parse(cleanup.stdout) as { deleted: Array<{ backupId: string }>; inUse: Array<{ backupId: string }>; failures: unknown[] };
    expect(res.failures).toEqual([]);
    // the dead run's temporaries are not mistaken for a live run's
    for (const t of res.inUse) expect(run.backupIds).not.toContain(t.backupId);
    expect(res.deleted.filter((t) => run.backupIds.includes(t.backupId)).length).toBeGreaterThanOrEqual(leftBefore.length);
    expect(await leftoverTemporaries(CLOUD, run.backupIds)).toEqual([]);
    await repoCheck();
  });

  it("SIGKILL, then the next backup's sweep removes the leftovers", async () => {
    const run = await backupKilledAfter(Math.floor(Math.random() * 30_000), 'SIGKILL');
    expect(run.signal, run.killedAt).toBe('SIGKILL');
    expect(run.backupIds).toHaveLength(1);
    await settle();
    const leftBefore = await leftoverTemporaries(CLOUD, run.backupIds);
    // a cheap backup (identity only): the sweep at its start covers the whole project
    const next = await backup(repo, ['--os-cloud', CLOUD, '--services', 'identity']);
    expect(next.code, next.stderr).toBe(0);
    const sweep = next.events.find((e) => e.event === 'sweep') as { failed: number; deleted: number } | undefined;
    expect(sweep).toBeDefined();
    expect(sweep!.failed).toBe(0);
    expect(sweep!.deleted).toBeGreaterThanOrEqual(leftBefore.length);
    console.log(`killed ${run.killedAt}; ${leftBefore.length} temporaries left; the next backup swept ${sweep!.deleted}`);
    expect(await leftoverTemporaries(CLOUD, run.backupIds)).toEqual([]);
    await repoCheck();
  });

  it('SIGTERM stops the backup, which deletes its own temporaries and writes no snapshot', async () => {
    const before = JSON.parse((await permafrost(['snapshots', '--repo', repo, '--json'], ENV)).stdout) as unknown[];
    const run = await backupKilledAfter(10_000, 'SIGTERM');
    expect(run.code, run.killedAt).toBe(130);
    expect(await leftoverTemporaries(CLOUD, run.backupIds)).toEqual([]);
    const after = JSON.parse((await permafrost(['snapshots', '--repo', repo, '--json'], ENV)).stdout) as unknown[];
    expect(after.length).toBe(before.length);
    await repoCheck();
  });
});
