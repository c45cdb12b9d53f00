// A backup killed with SIGKILL at a random point leaves temporaries (snapshots, clones, images)
// behind; `permafrost cleanup` removes every one of them, the next backup's sweep does too, and
// the repository still passes `repo check` (no half snapshot is visible). Also: SIGTERM stops a
// backup cleanly, deleting its temporaries itself.
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, permafrost } from './helpers/openstack-cli.js';
import { ENV, backup, freshRepository, leftoverTemporaries } from './helpers/backup.js';

const CLOUD = 'devcloud-demo';
let repo: string;

/** Starts a data-heavy backup and kills it with `signal` after `afterMs`; resolves with its exit. */
function backupKilledAfter(afterMs: number, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['bin/permafrost.js', 'backup', '--repo', repo, '--os-cloud', CLOUD, '--services', 'volumes,compute', '--json'], {
      cwd: REPO_ROOT,
      env: ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.resume();
    const timer = setTimeout(() => child.kill(signal), afterMs);
    // a safety net: never let a stuck child outlive the test
    const guard = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000);
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      clearTimeout(guard);
      resolve({ code, signal: sig, stdout });
    });
  });
}

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
    // between the first snapshots and the downloads (captures start after ~5 s)
    const at = 8_000 + Math.floor(Math.random() * 25_000);
    const run = await backupKilledAfter(at, 'SIGKILL');
    expect(run.signal).toBe('SIGKILL');
    const dry = await permafrost(['cleanup', '--os-cloud', CLOUD, '--dry-run', '--json'], ENV);
    expect(dry.code).toBe(0);
    const found = (JSON.parse(dry.stdout) as { found: Array<{ name: string }> }).found;
    console.log(`killed after ${at} ms; ${found.length} temporaries left: ${found.map((f) => f.name).join(', ')}`);
    const cleanup = await permafrost(['cleanup', '--os-cloud', CLOUD, '--json'], ENV);
    expect(cleanup.code, cleanup.stdout + cleanup.stderr).toBe(0);
    const res = JSON.parse(cleanup.stdout) as { deleted: unknown[]; failures: unknown[] };
    expect(res.failures).toEqual([]);
    expect(res.deleted.length).toBe(found.length);
    expect(await leftoverTemporaries(CLOUD)).toEqual([]);
    await repoCheck();
  });

  it("SIGKILL, then the next backup's sweep removes the leftovers", async () => {
    const at = 12_000 + Math.floor(Math.random() * 15_000);
    await backupKilledAfter(at, 'SIGKILL');
    // a cheap backup (identity only): the sweep at its start covers the whole project
    const next = await backup(repo, ['--os-cloud', CLOUD, '--services', 'identity']);
    expect(next.code, next.stderr).toBe(0);
    const sweep = next.events.find((e) => e.event === 'sweep') as { failed: number; deleted: number } | undefined;
    expect(sweep).toBeDefined();
    expect(sweep!.failed).toBe(0);
    console.log(`killed after ${at} ms; the next backup swept ${sweep!.deleted} temporaries`);
    expect(await leftoverTemporaries(CLOUD)).toEqual([]);
    await repoCheck();
  });

  it('SIGTERM stops the backup, which deletes its own temporaries and writes no snapshot', async () => {
    const before = JSON.parse((await permafrost(['snapshots', '--repo', repo, '--json'], ENV)).stdout) as unknown[];
    const run = await backupKilledAfter(15_000, 'SIGTERM');
    expect(run.code).toBe(130);
    expect(await leftoverTemporaries(CLOUD)).toEqual([]);
    const after = JSON.parse((await permafrost(['snapshots', '--repo', repo, '--json'], ENV)).stdout) as unknown[];
    expect(after.length).toBe(before.length);
    await repoCheck();
  });
});
