// Retention on project snapshots against the real local cloud (issue 17, point 1): two projects,
// pf-test-retention-a (one Swift object: a data stream) and pf-test-retention-b (identity and
// networks only: no stream), each backed up three times with `--time` one day apart into one
// repository. `forget --keep-last 1` (default grouping: per cloud + project) must leave exactly
// one snapshot per project, and each remaining snapshot must still restore: the object's bytes
// through restore-file, and both projects through restore plan + apply (with its built-in
// verification) into new projects. A backup of a project whose run lock another host's live run
// holds is refused (exit 13); a lock with an old heartbeat does not block; `cleanup --repo` keeps
// the temporaries of such a live run and deletes them once its heartbeat is stale.
// Every project this suite creates is deleted in afterAll.
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectClient } from '../../services/objects/client.js';
import { ImageClient } from '../../services/images/client.js';
import { openBackend } from '../../src/repository/backends/index.js';
import { closeMemberProject, dropProject, freshRestoreRepository, notIdentical, openMemberProject, reportOf, runCli, type CliRun, type MemberProject } from './helpers/restore-harness.js';

const suffix = randomBytes(3).toString('hex');
const PROJECT_A = `pf-test-retention-a-${suffix}`;
const PROJECT_B = `pf-test-retention-b-${suffix}`;
const RESTORED = { a: `pf-test-retention-ra-${suffix}`, b: `pf-test-retention-rb-${suffix}` };
const CONTAINER = 'pf-test-retention-data';
const OBJECT = 'nightly.bin';
const PAYLOAD = randomBytes(300 * 1024);
const DAYS = ['2026-01-01T02:00:00Z', '2026-01-02T02:00:00Z', '2026-01-03T02:00:00Z'];
const MINUTE = 60_000;

let repo: string;
let dir: string;
let a: MemberProject | undefined;
let b: MemberProject | undefined;

interface SnapshotJson {
  id: string;
  time: string;
  streams: string[];
  tags: Record<string, string>;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function snapshots(args: string[] = []): Promise<SnapshotJson[]> {
  const res = await runCli(['snapshots', '--repo', repo, '--json', ...args]);
  if (res.code !== 0) throw new Error(`snapshots failed (${res.code}): ${res.stderr}`);
  return JSON.parse(res.stdout) as SnapshotJson[];
}

function backupArgs(project: string, services: string, time: string): string[] {
  return ['backup', '--repo', repo, '--os-cloud', 'devcloud-demo', '--project', project, '--services', services, '--time', time, '--json-events'];
}

async function nightly(project: string, services: string, time: string): Promise<CliRun> {
  const res = await runCli(backupArgs(project, services, time), { timeoutMs: 10 * MINUTE });
  expect(res.code, res.stderr + res.stdout.slice(-2000)).toBe(0);
  return res;
}

describe('retention of project snapshots (real cloud)', () => {
  beforeAll(async () => {
    ({ repo, dir } = await freshRestoreRepository('pf-test-retention-'));
    a = await openMemberProject(PROJECT_A, 'permafrost retention test: a project with a data stream');
    b = await openMemberProject(PROJECT_B, 'permafrost retention test: a project without data streams');
    const swift = await ObjectClient.open(a.member);
    await swift.createContainer(CONTAINER);
    await swift.putObject(CONTAINER, OBJECT, PAYLOAD);
  }, 5 * MINUTE);

  afterAll(async () => {
    for (const name of Object.values(RESTORED)) if (a?.admin) await dropProject(a.admin, name).catch(() => undefined);
    await closeMemberProject(b, PROJECT_B).catch(() => undefined);
    await closeMemberProject(a, PROJECT_A).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 10 * MINUTE);

  it('three nightly backups of each project, then forget --keep-last 1 keeps exactly the newest of each', async () => {
    for (const day of DAYS) {
      await nightly(PROJECT_A, 'identity,objects', day);
      await nightly(PROJECT_B, 'identity,networks', day);
    }
    const all = await snapshots();
    expect(all.length).toBe(6);
    expect((await snapshots(['--project', PROJECT_A])).every((s) => s.streams.length > 0)).toBe(true);
    expect((await snapshots(['--project', PROJECT_B])).every((s) => s.streams.length === 0)).toBe(true);

    // the dry run shows one group per project and the rule that keeps each snapshot
    const dry = await runCli(['forget', '--repo', repo, '--keep-last', '1', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as { groups: { group: string; keep: { reasons: string[] }[]; remove: unknown[] }[] };
    expect(plan.groups.length).toBe(2);
    for (const g of plan.groups) {
      expect(g.group).toMatch(/^type=project cloud=devcloud-demo project=\S+ \(pf-test-retention-[ab]-/);
      expect(g.keep.map((k) => k.reasons)).toEqual([['last']]);
      expect(g.remove.length).toBe(2);
    }
    expect((await snapshots()).length).toBe(6);

    // a policy that keeps nothing of a project is refused without --allow-empty
    const empty = await runCli(['forget', '--repo', repo, '--keep-tag', 'no-such-tag', '--project', PROJECT_B]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/last snapshot of project .*--allow-empty/);

    const res = await runCli(['forget', '--repo', repo, '--keep-last', '1', '--prune']);
    expect(res.code, res.stderr).toBe(0);
    const left = await snapshots();
    expect(left.length).toBe(2);
    expect(left.map((s) => s.tags.projectName).sort()).toEqual([PROJECT_A, PROJECT_B]);
    for (const s of left) expect(s.time).toBe(new Date(DAYS[2]!).toISOString());
  }, 30 * MINUTE);

  it("the remaining snapshot of each project still restores: the object's bytes, and both projects into new ones", async () => {
    const [snapA] = await snapshots(['--project', PROJECT_A]);
    const [snapB] = await snapshots(['--project', PROJECT_B]);
    const shown = await runCli(['show', snapA!.id, '--repo', repo, '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    const resources = (JSON.parse(shown.stdout) as { resources: { kind: string; name: string; data?: { stream: string }[] }[] }).resources;
    const object = resources.find((r) => r.kind === 'object' && r.name.endsWith(OBJECT));
    expect(object?.data?.length, JSON.stringify(resources.map((r) => `${r.kind}:${r.name}`))).toBe(1);
    const file = path.join(dir, 'object.bin');
    const restored = await runCli(['restore-file', `${snapA!.id}:${object!.data![0]!.stream}`, '--repo', repo, '-o', file]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(sha256(await readFile(file))).toBe(sha256(PAYLOAD));

    for (const [snap, target] of [[snapA!, RESTORED.a], [snapB!, RESTORED.b]] as const) {
      const planFile = path.join(dir, `plan-${target}.json`);
      const planned = await runCli(['restore', 'plan', snap.id, '--repo', repo, '--os-cloud', 'devcloud-admin', '--project', target, '--create-project', '-o', planFile], { timeoutMs: 10 * MINUTE });
      expect(planned.code, planned.stdout.slice(-2000) + planned.stderr).toBe(0);
      const applied = await runCli(['restore', 'apply', planFile, '--json-events'], { timeoutMs: 20 * MINUTE });
      const report = reportOf(applied);
      expect(report.apply.failed, applied.stderr.slice(-2000)).toEqual([]);
      expect(applied.code, notIdentical(report) + applied.stderr.slice(-2000)).toBe(0);
    }
  }, 45 * MINUTE);

  it("a backup of a project whose run lock another host's run holds is refused with exit code 13; a stale lock does not block", async () => {
    const backend = await openBackend(repo);
    const now = new Date().toISOString();
    // a run of the same project on another host (a CronJob pod): only its heartbeat counts
    const lock = { version: 1, id: `pftestretention${suffix}`, exclusive: false, hostname: `nightly-${suffix}-x7k2p`, pid: 1, command: 'backup', time: now, refreshed: now, run: { project: `devcloud-demo/${a!.projectId}`, backupId: `20260104T020000Z-${suffix}` } };
    await backend.put(`locks/${lock.id}`, Buffer.from(JSON.stringify(lock)));
    try {
      const refused = await runCli(backupArgs(PROJECT_A, 'identity', '2026-01-04T02:00:00Z'), { timeoutMs: 10 * MINUTE });
      expect(refused.code, refused.stdout.slice(-1000) + refused.stderr).toBe(13);
      expect(refused.stderr).toMatch(new RegExp(`project ${PROJECT_A} .* is being backed up by another run: backup 20260104T020000Z-${suffix}`));
      // the other project is not blocked
      await nightly(PROJECT_B, 'identity', '2026-01-04T02:00:00Z');
      // the same lock, its heartbeat 10 minutes old: that run crashed, the backup goes ahead
      const old = new Date(Date.now() - 10 * MINUTE).toISOString();
      await backend.put(`locks/${lock.id}`, Buffer.from(JSON.stringify({ ...lock, refreshed: old })));
      await nightly(PROJECT_A, 'identity', '2026-01-04T03:00:00Z');
    } finally {
      await backend.delete(`locks/${lock.id}`).catch(() => undefined);
      await backend.close();
    }
  }, 20 * MINUTE);

  it("cleanup --repo leaves alone the temporaries of another host's live run, and deletes them once its heartbeat is stale", async () => {
    const backupId = `20260106T020000Z-${suffix}`;
    const glance = await ImageClient.open(a!.member);
    // a temporary as an upload-to-image leaves it: nothing but its name says whose it is
    const image = await glance.createImage({ name: `permafrost-backup-${backupId}-vol-test`, disk_format: 'raw', container_format: 'bare' });
    const backend = await openBackend(repo);
    const now = new Date().toISOString();
    const lock = { version: 1, id: `pftestcleanup${suffix}`, exclusive: false, hostname: `nightly-${suffix}-q9w3e`, pid: 7, command: 'backup', time: now, refreshed: now, run: { project: `devcloud-demo/${a!.projectId}`, backupId } };
    await backend.put(`locks/${lock.id}`, Buffer.from(JSON.stringify(lock)));
    const cleanup = (): Promise<CliRun> => runCli(['cleanup', '--os-cloud', 'devcloud-demo', '--project', PROJECT_A, '--repo', repo, '--json'], { timeoutMs: 10 * MINUTE });
    try {
      const alive = await cleanup();
      expect(alive.code, alive.stderr).toBe(0);
      const first = JSON.parse(alive.stdout) as { deleted: { id: string }[]; inUse: { id: string }[] };
      expect(first.inUse.map((t) => t.id)).toContain(image.id);
      expect(first.deleted.map((t) => t.id)).not.toContain(image.id);
      // the run's heartbeat stops: it crashed, its temporary is a leftover
      await backend.put(`locks/${lock.id}`, Buffer.from(JSON.stringify({ ...lock, refreshed: new Date(Date.now() - 10 * MINUTE).toISOString() })));
      const crashed = await cleanup();
      expect(crashed.code, crashed.stderr).toBe(0);
      expect((JSON.parse(crashed.stdout) as { deleted: { id: string }[] }).deleted.map((t) => t.id)).toContain(image.id);
    } finally {
      await glance.deleteImage(image.id).catch(() => undefined);
      await backend.delete(`locks/${lock.id}`).catch(() => undefined);
      await backend.close();
    }
  }, 20 * MINUTE);
});
