// Tenant backup as the cloud admin (another project, all projects) and the failure path: one
// volume in error state makes the run "partial" (exit code 3), names the volume and its cause,
// and the other resources are still backed up.
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { osJson } from './helpers/openstack-cli.js';
import { SEED_STATE, backup, backupIdsOf, freshRepository, leftoverTemporaries, restoreFile, seedChecksum, show } from './helpers/backup.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ADMIN = 'devcloud-admin';
const DEMO = 'devcloud-demo';
const suffix = randomBytes(3).toString('hex');
const errorVolume = `pf-test-backup-err-${suffix}`;
let repo: string;
let errorVolumeId: string | undefined;

async function os(cloud: string, args: string[]): Promise<string> {
  const { stdout } = await run('openstack', ['--os-cloud', cloud, ...args], { timeout: 120_000 });
  return stdout.trim();
}

describe('permafrost backup: admin, all projects, and a failing resource', () => {
  beforeAll(async () => {
    repo = await freshRepository('pf-test-backup-admin');
  });

  afterAll(async () => {
    if (errorVolumeId) await os(DEMO, ['volume', 'delete', errorVolumeId]).catch(() => undefined);
    if (repo) await rm(path.dirname(repo), { recursive: true, force: true });
  });

  it('as admin, backs up the demo project (a project the admin has no role on)', async () => {
    const res = await backup(repo, ['--os-cloud', ADMIN, '--project', 'demo', '--services', 'identity,images,objects']);
    expect(res.code, res.stderr + res.stdout.slice(-3000)).toBe(0);
    const report = res.report!.projects[0]!;
    expect(report.project.name).toBe('demo');
    const snap = await show(repo, report.snapshot!);
    // the admin reads what a member may not: role assignments of the project
    expect(snap.resources.some((r) => r.kind === 'role_assignment')).toBe(true);
    expect(snap.resources.some((r) => r.kind === 'group' && r.name === 'demo-group')).toBe(true);
    // the demo image's bytes, as seeded
    const image = snap.resources.find((r) => r.kind === 'image' && r.name === 'demo-image')!;
    const seed = await readFile(`${SEED_STATE}/manifest.txt`, 'utf8');
    const file = path.join(path.dirname(repo), 'image.raw');
    expect(await restoreFile(repo, report.snapshot!, `image/${image.id}`, file)).toBe(seedChecksum(seed, 'image', 'demo-image', 'sha256'));
    await rm(file);
    // containers: backed up, or (Swift grants accounts by project role) skipped with the reason
    const containers = snap.resources.filter((r) => r.kind === 'container');
    const skipped = snap.skippedKinds.find((k) => k.kind === 'container');
    expect(containers.length > 0 || skipped !== undefined).toBe(true);
  });

  it('as admin with --all-projects, writes one snapshot per project', async () => {
    const before = new Set((await osJson(ADMIN, ['project', 'list'])).map((p) => String(p.ID)));
    const res = await backup(repo, ['--os-cloud', ADMIN, '--all-projects', '--services', 'identity,networks']);
    const after = new Set((await osJson(ADMIN, ['project', 'list'])).map((p) => String(p.ID)));
    const stable = [...before].filter((id) => after.has(id));
    // other suites create and delete projects concurrently: only a project that vanished mid-run may fail
    const failed = res.report!.projects.filter((p) => p.status === 'failed');
    for (const f of failed) expect(after.has(f.project.id), `${f.project.name}: ${f.error}`).toBe(false);
    expect([0, 3]).toContain(res.code);
    const snapshotted = new Set(res.report!.projects.filter((p) => p.snapshot).map((p) => p.project.id));
    for (const id of stable) expect(snapshotted.has(id), `project ${id} has a snapshot`).toBe(true);
    expect(new Set(res.report!.projects.map((p) => p.snapshot)).size).toBe(res.report!.projects.length);
  });

  it('a volume in error state: exit code 3, the report names it and why, the rest is backed up', async () => {
    errorVolumeId = (await osJson<{ id: string }>(DEMO, ['volume', 'create', '--size', '1', errorVolume])).id;
    for (let i = 0; i < 120; i++) {
      const v = await osJson<{ status: string }>(DEMO, ['volume', 'show', errorVolumeId]);
      if (v.status === 'available') break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    await os(ADMIN, ['volume', 'set', '--state', 'error', errorVolumeId]);

    const res = await backup(repo, ['--os-cloud', DEMO, '--services', 'volumes,images', '--exclude', 'volume:demo-*', '--exclude', 'image:pf-test-*']);
    expect(res.code).toBe(3);
    const report = res.report!.projects[0]!;
    expect(report.status).toBe('partial');
    expect(report.failures).toContainEqual(expect.objectContaining({ kind: 'volume', id: errorVolumeId, name: errorVolume, reason: expect.stringContaining('"error"') }));
    // any other failure can only be another suite's volume, busy or broken at that moment
    for (const f of report.failures) expect(f.name.startsWith('pf-test-'), `${f.kind} ${f.name}: ${f.reason}`).toBe(true);
    const snap = await show(repo, report.snapshot!);
    const failed = snap.resources.find((r) => r.id === errorVolumeId)!;
    expect(failed.status).toBe('failed');
    // excluded volumes are recorded, without data, with the reason
    const excluded = snap.resources.filter((r) => r.kind === 'volume' && r.name.startsWith('demo-'));
    expect(excluded.length).toBe(2);
    for (const v of excluded) expect(v).toMatchObject({ status: 'skipped', reason: expect.stringContaining('--exclude volume:demo-*') });
    // the images went through
    expect(snap.resources.filter((r) => r.kind === 'image' && r.status === 'ok' && (r.data ?? []).length === 1).length).toBeGreaterThanOrEqual(2);
    expect(await leftoverTemporaries(DEMO, backupIdsOf(res.stdout))).toEqual([]);
  });
});
