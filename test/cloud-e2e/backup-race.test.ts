// Concurrent backups of one project from several processes of this host (as the test lanes run
// them), in a project of its own (pf-test-race-*: an idle volume, a server with an attached
// volume, the server's image):
//   - a backup killed with SIGKILL while Cinder uploads its idle volume into a temporary image
//     leaves that image (and its snapshot or clone) behind;
//   - three backups started one after the other, each while the previous one waits for its
//     upload-to-image image, all succeed: their start-of-run sweeps and a `permafrost cleanup`
//     in the middle leave the running backups' temporaries alone (the upload-to-image image
//     carries nothing but its name: the local run registry says the run is alive) and delete
//     the dead backup's; the attached volume's snapshots (Nova-assisted on this NFS cloud) and
//     the server's createImage of the three runs do not break each other.
import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, permafrost } from './helpers/openstack-cli.js';
import { ENV, SEED_STATE, freshRepository, type ProjectReport } from './helpers/backup.js';

const run = promisify(execFile);
const ADMIN = 'devcloud-admin';
const PROJECT = `pf-test-race-${randomBytes(3).toString('hex')}`;
const repos: string[] = [];
let projectId = '';
let idleVolume = '';
let attachedVolume = '';

/**
 * `openstack` as the admin, scoped to the race project (by ID: `--os-project-name` does not
 * override the clouds.yaml project); JSON when the command prints any.
 */
async function os(args: string[], json = true): Promise<any> {
  if (!projectId) throw new Error('the race project does not exist');
  const { stdout } = await run('openstack', ['--os-cloud', ADMIN, '--os-project-id', projectId, ...args, ...(json ? ['-f', 'json'] : [])], { timeout: 300_000, maxBuffer: 16 * 2 ** 20 });
  return json ? JSON.parse(stdout) : stdout;
}

/** Names of the permafrost temporaries of these backup runs in the race project. */
async function leftoverTemporaries(backupIds: string[]): Promise<string[]> {
  const [vols, snaps, images] = await Promise.all([os(['volume', 'list']), os(['volume', 'snapshot', 'list']), os(['image', 'list', '--private', '--long'])]);
  const mine = backupIds.map((id) => `permafrost-backup-${id}-`);
  return [...vols, ...snaps, ...images].map((r: any) => String(r.Name ?? '')).filter((n) => mine.some((p) => n.startsWith(p)));
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 5 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

interface Running {
  backupId: Promise<string>;
  /** Resolves when the backup waits for the upload-to-image image of the idle volume. */
  uploading: Promise<void>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; events: Array<Record<string, any>> }>;
  kill(signal: NodeJS.Signals): void;
}

/** `permafrost backup` of the race project (volumes and servers) into `repo`, watched line by line. */
function startBackup(repo: string): Running {
  const child = spawn('node', ['bin/permafrost.js', 'backup', '--repo', repo, '--os-cloud', ADMIN, '--project', PROJECT, '--services', 'volumes,compute', '--json-events'], {
    cwd: REPO_ROOT,
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Array<Record<string, any>> = [];
  let gotId!: (id: string) => void;
  let gotUpload!: () => void;
  const backupId = new Promise<string>((r) => (gotId = r));
  const uploading = new Promise<void>((r) => (gotUpload = r));
  let pending = '';
  child.stdout.on('data', (c: Buffer) => {
    pending += c.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as Record<string, any>;
      events.push(e);
      if (e.event === 'project-start') gotId(e.backupId as string);
      if (e.event === 'resource-step' && e.kind === 'volume' && e.id === idleVolume && e.step === 'wait for image') gotUpload();
    }
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const guard = setTimeout(() => child.kill('SIGKILL'), 25 * 60_000);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; events: Array<Record<string, any>> }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (code !== 0 && signal === null) console.log(`backup exited ${code}: ${stderr.slice(-2000)}`);
      resolve({ code, signal, events });
    });
  });
  // a run that ends early never reaches these: let awaiting tests fail on the exit instead
  void done.then(() => {
    gotId('');
    gotUpload();
  });
  return { backupId, uploading, done, kill: (s) => child.kill(s) };
}

describe('permafrost backup: concurrent runs of one project on one host', () => {
  beforeAll(async () => {
    const project = await run('openstack', ['--os-cloud', ADMIN, 'project', 'create', '--domain', 'Default', PROJECT, '-f', 'json'], { timeout: 120_000 });
    const created = (JSON.parse(project.stdout) as { id: string }).id;
    await run('openstack', ['--os-cloud', ADMIN, 'role', 'add', '--user', 'admin', '--user-domain', 'Default', '--project', created, 'admin'], { timeout: 120_000 });
    projectId = created;
    // everything below is created, and deleted again, in the race project only
    expect((await os(['token', 'issue'])).project_id).toBe(projectId);
    await os(['image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--private', '--file', `${SEED_STATE}/demo-image.raw`, `${PROJECT}-img`]);
    idleVolume = (await os(['volume', 'create', '--size', '1', `${PROJECT}-idle`])).id;
    attachedVolume = (await os(['volume', 'create', '--size', '1', `${PROJECT}-attached`])).id;
    await os(['--os-compute-api-version', '2.52', 'server', 'create', '--flavor', 'm1.tiny', '--image', `${PROJECT}-img`, '--nic', 'none', '--wait', `${PROJECT}-vm`]);
    await waitFor('both volumes available', async () => (await Promise.all([idleVolume, attachedVolume].map((v) => os(['volume', 'show', v])))).every((v) => v.status === 'available'));
    await os(['server', 'add', 'volume', `${PROJECT}-vm`, attachedVolume], false);
    await waitFor('the volume attached', async () => (await os(['volume', 'show', attachedVolume])).status === 'in-use');
    for (let i = 0; i < 4; i++) repos.push(await freshRepository(`pf-test-race-${i}`));
  });

  afterAll(async () => {
    for (const repo of repos) await rm(path.dirname(repo), { recursive: true, force: true });
    if (!projectId) return;
    // only what this suite made: its own names and the permafrost temporaries of the race project
    const ours = (r: any) => String(r.Name ?? '').startsWith(PROJECT) || String(r.Name ?? '').startsWith('permafrost-backup-');
    await permafrost(['cleanup', '--os-cloud', ADMIN, '--project', PROJECT], ENV).catch(() => undefined);
    await os(['server', 'delete', '--wait', `${PROJECT}-vm`], false).catch(() => undefined);
    await waitFor('volumes detached', async () => (await os(['volume', 'list'])).every((v: any) => v.Status !== 'in-use'), 120_000).catch(() => undefined);
    for (const v of (await os(['volume', 'snapshot', 'list']).catch(() => [])).filter(ours)) await os(['volume', 'snapshot', 'delete', v.ID], false).catch(() => undefined);
    for (const v of (await os(['volume', 'list']).catch(() => [])).filter(ours)) await os(['volume', 'delete', '--force', v.ID], false).catch(() => undefined);
    await os(['image', 'delete', `${PROJECT}-img`], false).catch(() => undefined);
    await waitFor('volumes deleted', async () => (await os(['volume', 'list'])).length === 0, 180_000).catch(() => undefined);
    await run('openstack', ['--os-cloud', ADMIN, 'project', 'delete', projectId], { timeout: 120_000 }).catch(() => undefined);
  });

  it('three staggered backups succeed; sweeps and cleanup spare the live runs and delete the dead one', async () => {
    // the dead run: killed while Cinder uploads the idle volume into its temporary image
    const dead = startBackup(repos[3]!);
    await dead.uploading;
    dead.kill('SIGKILL');
    const deadRun = await dead.done;
    expect(deadRun.signal).toBe('SIGKILL');
    const deadId = await dead.backupId;
    await new Promise((r) => setTimeout(r, 15_000)); // requests in flight may still land
    const deadLeft = await leftoverTemporaries([deadId]);
    console.log(`dead backup ${deadId}: ${deadLeft.length} temporaries left: ${deadLeft.join(', ')}`);
    expect(deadLeft.some((n) => n.includes(`-vol-${idleVolume}`)), 'the dead run left its upload-to-image image').toBe(true);

    // three live runs, each started while the previous one waits for its upload-to-image image
    const live: Running[] = [];
    for (let i = 0; i < 3; i++) {
      const r = startBackup(repos[i]!);
      live.push(r);
      await r.uploading;
    }
    const liveIds = await Promise.all(live.map((r) => r.backupId));
    expect(liveIds.every((id) => id !== '')).toBe(true);

    // a cleanup while the last one uploads: keeps its image (known only from the run registry)
    const cleanup = await permafrost(['cleanup', '--os-cloud', ADMIN, '--project', PROJECT, '--json'], ENV);
    expect(cleanup.code, cleanup.stdout + cleanup.stderr).toBe(0);
    const swept = JSON.parse(cleanup.stdout) as { deleted: Array<{ kind: string; name: string; backupId: string }>; inUse: Array<{ kind: string; name: string; backupId: string }> };
    console.log(`cleanup during the runs: deleted ${swept.deleted.map((t) => t.name).join(', ') || 'nothing'}; kept ${swept.inUse.map((t) => t.name).join(', ')}`);
    expect(swept.deleted.filter((t) => liveIds.includes(t.backupId))).toEqual([]);
    expect(swept.inUse.some((t) => t.kind === 'image' && t.backupId === liveIds[2] && t.name.includes(`-vol-${idleVolume}`))).toBe(true);

    const results = await Promise.all(live.map((r) => r.done));
    for (const [i, res] of results.entries()) {
      const report = res.events.find((e) => e.event === 'report') as { projects: ProjectReport[] } | undefined;
      const project = report?.projects[0];
      expect(res.code, `backup ${liveIds[i]}: ${JSON.stringify(project?.failures ?? project?.error)}`).toBe(0);
      expect(project?.status).toBe('ok');
      expect(project?.failures).toEqual([]);
      const done = res.events.filter((e) => e.event === 'resource-done');
      for (const id of [idleVolume, attachedVolume]) {
        const vol = done.find((e) => e.kind === 'volume' && e.id === id);
        expect(vol?.status, `volume ${id} in backup ${liveIds[i]}`).toBe('ok');
        expect(vol?.bytes).toBe(2 ** 30);
      }
      expect(done.find((e) => e.kind === 'server')?.status).toBe('ok');
      const sweep = res.events.find((e) => e.event === 'sweep');
      console.log(`backup ${liveIds[i]}: sweep ${JSON.stringify(sweep)}`);
      expect(sweep?.error).toBeUndefined();
    }
    // nothing of anyone is left: the live runs deleted their own, the sweeps the dead one's
    expect(await leftoverTemporaries([deadId, ...liveIds])).toEqual([]);
  });
});
