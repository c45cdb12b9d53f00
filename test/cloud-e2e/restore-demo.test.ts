// Restore of the seeded `demo` project against the real local clouds: the six "Done when"
// scenarios of issue 5. The `demo` project is shared and read-only (other suites back it up at the
// same time and rely on its seeded resources and IDs): this suite only ever backs it up, ONCE, in
// beforeAll, and every scenario restores that one snapshot into projects of its own:
//
//   (6) preflight    an unknown flavor mapping: exit 12, nothing created (not even the project)
//   (2) copy         demo → a new project COPY ("demo-copy", with a unique suffix) while demo exists
//   (1) in place     demo itself must not be emptied, so the scenario runs on a faithful copy of
//                    it: COPY (made by (2)) is backed up by the demo user (a member there, as in
//                    demo), every resource in it is deleted, and the snapshot is restored in place
//                    by that member: no difference, servers ACTIVE with their volumes attached,
//                    the floating IP associated, data hashes equal
//   (5) --only       server:demo-server into an empty project: the server and exactly its
//                    closure; then --rollback removes it all, project included
//   (4) SIGKILL      apply killed in the middle of wave 3, re-run: complete, nothing twice
//   (3) other cloud  into instance two with a flavor and an external-network mapping
//
// Every project (both clouds), keypair and flavor the suite creates is removed in afterAll, also
// when a test fails. Waits are bounded (the CLI runs get a time limit, the wipe waits per resource).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComputeClient } from '../../services/compute/client.js';
import { NetworkClient } from '../../services/networks/client.js';
import { VolumeClient } from '../../services/volumes/client.js';
import { IdentityClient } from '../../services/identity/client.js';
import { openSession } from '../../src/openstack/connect.js';
import type { Session } from '../../src/openstack/types.js';
import { adminSession, backupProject, demoBackup, dropProject, dropRestoreGlobals, grantRole, inventoryOf, names, notIdentical, projectSession as scopedSession, readJson, reportOf, runCli, SEEDED_DEMO, stateFileOf, type CliRun } from './helpers/restore-harness.js';
import { leftovers, wipeProject } from './helpers/wipe-project.js';

const suffix = randomBytes(3).toString('hex');
/** The issue's `demo-copy` (unique per run, so that an aborted run never collides with the next). */
const COPY_PROJECT = `pf-test-demo-copy-${suffix}`;
const ONLY_PROJECT = `pf-test-restore-only-${suffix}`;
const CRASH_PROJECT = `pf-test-restore-crash-${suffix}`;
const PRE_PROJECT = `pf-test-restore-pre-${suffix}`;
const TWO_PROJECT = `pf-test-restore-two-${suffix}`;
const MINUTE = 60_000;

let repo: string;
let snapshot: string;
let dir: string;
let admin: Session;

function planArgs(extra: string[], snap = snapshot): string[] {
  return ['restore', 'plan', snap, '--repo', repo, ...extra];
}

/** A session of `cloud`'s user scoped to project `name` (admin clouds give themselves the admin role). */
function projectSession(cloud: string, name: string): Promise<Session> {
  return scopedSession(admin, cloud, name);
}

beforeAll(async () => {
  ({ repo, snapshot, dir } = await demoBackup());
  admin = await adminSession();
}, 25 * MINUTE);

afterAll(async () => {
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    await fn().catch((err: unknown) => problems.push(`${what}: ${(err as Error).message}`));
  };
  if (admin) {
    for (const name of [COPY_PROJECT, ONLY_PROJECT, CRASH_PROJECT, PRE_PROJECT]) await attempt(`drop ${name}`, () => dropProject(admin, name));
    for (const plan of ['plan-only.json', 'plan-copy.json', 'plan-crash.json']) await attempt(`globals of ${plan}`, () => dropRestoreGlobals(admin, path.join(dir, plan)));
  }
  const two = await adminSession('devcloud-two-admin').catch(() => undefined);
  if (two) {
    await attempt(`drop ${TWO_PROJECT}`, () => dropProject(two, TWO_PROJECT));
    await attempt('globals of plan-two.json', () => dropRestoreGlobals(two, path.join(dir, 'plan-two.json')));
    await two.close();
  }
  await admin?.close();
  if (problems.length > 0) throw new Error(`cleanup left something behind:\n${problems.join('\n')}`);
}, 20 * MINUTE);

let copied: Promise<{ plan: string; run: CliRun }> | undefined;

/** (2)'s restore of demo into COPY, made once: (1) works on that copy. */
function copyOfDemo(): Promise<{ plan: string; run: CliRun }> {
  copied ??= (async () => {
    const plan = path.join(dir, 'plan-copy.json');
    const planned = await runCli(planArgs(['--os-cloud', 'devcloud-admin', '--project', COPY_PROJECT, '--create-project', '-o', plan]));
    if (planned.code !== 0) throw new Error(`restore plan into ${COPY_PROJECT}: exit ${planned.code}\n${planned.stderr.slice(-3000)}`);
    return { plan, run: await runCli(['restore', 'apply', plan, '--json-events', '--no-data-check'], { timeoutMs: 25 * MINUTE }) };
  })();
  return copied;
}

describe('restore of the demo project', () => {
  it('(6) stops at the preflight for a flavor mapping the target cannot meet, and creates nothing', async () => {
    const plan = path.join(dir, 'plan-preflight.json');
    const run = await runCli(planArgs(['--os-cloud', 'devcloud-admin', '--project', PRE_PROJECT, '--create-project', '--map', 'flavor:m1.tiny=no-such-flavor', '-o', plan]));
    expect(run.code, run.stderr).toBe(12);
    expect(run.stdout + run.stderr).toContain('no-such-flavor');
    expect(readJson(plan).preflight.ok).toBe(false);
    // apply refuses it as well, before touching the cloud
    const apply = await runCli(['restore', 'apply', plan, '--json-events']);
    expect(apply.code).toBe(12);
    const identity = await IdentityClient.open(admin);
    expect(await identity.findProject(PRE_PROJECT).catch(() => undefined)).toBeUndefined();
  });

  it('(2) restores demo into a new project (demo-copy) while demo exists: no difference but mapped fields', async () => {
    const { run } = await copyOfDemo();
    const report = reportOf(run);
    expect(report.apply.failed, run.stderr).toEqual([]);
    expect(report.apply.blocked).toEqual([]);
    expect(report.fidelity.different, notIdentical(report)).toBe(0);
    expect(report.fidelity.missing).toBe(0);
    expect(report.fidelity.identical).toBeGreaterThan(40);
    // the accepted changes are mapped ones, each with its reason: the floating IP got a new address
    expect(report.fidelity.notRestorable.map((n: any) => n.reason).join('\n')).toMatch(/floating_ip_address/);
    expect(run.code).toBe(0);

    const session = await projectSession('devcloud-admin', COPY_PROJECT);
    try {
      const inv = await inventoryOf(session);
      for (const [kind, expected] of Object.entries(SEEDED_DEMO)) {
        if (kind === 'keypair') continue; // the admin's own keypairs, not the project's
        expect(names(inv, kind), kind).toEqual(expect.arrayContaining(expected));
      }
    } finally {
      await session.close();
    }
  }, 30 * MINUTE);

  it('(1) back up a project, delete every resource in it, restore it in place (as its member): no difference, servers ACTIVE with volumes and floating IP, data hashes equal', async () => {
    // demo is shared and read-only: COPY, the faithful copy (2) made, stands in for it
    const { run: copyRun } = await copyOfDemo();
    expect(reportOf(copyRun).apply.failed, 'the copy of demo this scenario works on failed').toEqual([]);
    const demoUser = await openSession({ cloud: 'devcloud-demo' });
    const copyId = (await (await IdentityClient.open(admin)).findProject(COPY_PROJECT))!.id;
    await grantRole(admin, copyId, demoUser.userId, 'member');
    await demoUser.close();
    const copySnapshot = await backupProject(repo, 'devcloud-demo', COPY_PROJECT);

    const member = await projectSession('devcloud-demo', COPY_PROJECT);
    try {
      const before = await inventoryOf(member);
      const serversBefore = names(before, 'server');
      expect(serversBefore).toEqual(expect.arrayContaining(SEEDED_DEMO.server!));
      // the member's keypairs are the user's, shared with demo: kept
      await wipeProject(member);
      expect(await leftovers(member)).toEqual([]);

      const plan = path.join(dir, 'plan-inplace.json');
      const planned = await runCli(planArgs(['--os-cloud', 'devcloud-demo', '--project', COPY_PROJECT, '--mode', 'in-place', '-o', plan], copySnapshot));
      expect(planned.code, planned.stdout.slice(-3000) + planned.stderr).toBe(0);
      const run = await runCli(['restore', 'apply', plan, '--json-events'], { timeoutMs: 35 * MINUTE });
      const report = reportOf(run);
      expect(report.apply.failed, run.stderr).toEqual([]);
      expect(report.apply.blocked).toEqual([]);
      expect(report.fidelity.different, notIdentical(report)).toBe(0);
      expect(report.fidelity.missing).toBe(0);
      expect(report.fidelity.dataFailures).toEqual([]);
      expect(report.fidelity.data.different).toBe(0);
      // images, volumes, server root disks, objects
      expect(report.fidelity.data.checked).toBeGreaterThan(10);
      expect(run.code).toBe(0);

      const inv = await inventoryOf(member);
      for (const [kind, expected] of Object.entries(SEEDED_DEMO)) expect(names(inv, kind), kind).toEqual(expect.arrayContaining(expected));
      const nova = await ComputeClient.open(member);
      const neutron = await NetworkClient.open(member);
      const cinder = await VolumeClient.open(member);
      const servers = await nova.listServers();
      expect(servers.map((s) => s.name).sort()).toEqual(serversBefore);
      for (const s of servers) expect(s.status, s.name).toBe('ACTIVE');
      // every volume attached before is attached again, to the server of the same name
      for (const volume of before.filter((r) => r.kind === 'volume')) {
        const attachedTo = ((volume.fields.attachments as Array<{ server_id: string }>) ?? []).map((a) => before.find((r) => r.kind === 'server' && r.id === a.server_id)?.name);
        const now = (await cinder.listVolumes({ name: volume.name }))[0]!;
        expect(now.attachments.map((a) => servers.find((s) => s.id === a.server_id)?.name), volume.name).toEqual(attachedTo);
      }
      const demoServer = servers.find((s) => s.name === 'demo-server')!;
      const blank = inv.find((r) => r.kind === 'volume' && r.name === 'demo-vol-blank')!;
      expect((await nova.listVolumeAttachments(demoServer.id)).map((a) => a.volumeId)).toEqual([blank.id]);
      const ports = await neutron.listPorts({ device_id: demoServer.id });
      const fips = await neutron.listFloatingIps({ project_id: member.project!.id });
      expect(fips.some((f) => ports.some((p) => p.id === f.port_id))).toBe(true);
    } finally {
      await member.close();
    }
  }, 55 * MINUTE);

  it('(5) --only server:demo-server restores the server and exactly its closure into an empty project; --rollback removes it again', async () => {
    const plan = path.join(dir, 'plan-only.json');
    const planned = await runCli(planArgs(['--os-cloud', 'devcloud-admin', '--project', ONLY_PROJECT, '--create-project', '--only', 'server:demo-server', '-o', plan]));
    expect(planned.code, planned.stderr).toBe(0);
    const steps = Object.values(readJson(plan).steps) as Array<{ kind: string; name: string; action: string; operation: string }>;
    const created = (kind: string) => steps.filter((s) => s.kind === kind && s.action === 'create' && s.operation === 'restore').map((s) => s.name).sort();
    expect(created('server')).toEqual(['demo-server']);
    expect(created('volume')).toEqual(['demo-vol-blank']);
    expect(steps.some((s) => s.name === 'demo-server-ud' || s.name === 'demo-net2' || s.name === 'demo-vol-from-image' || s.kind === 'container' || s.kind === 'object' || s.kind === 'volume_snapshot')).toBe(false);

    const run = await runCli(['restore', 'apply', plan, '--json-events', '--no-data-check'], { timeoutMs: 20 * MINUTE });
    const report = reportOf(run);
    expect(report.apply.failed, run.stderr).toEqual([]);
    expect(report.fidelity.different, notIdentical(report)).toBe(0);
    expect(run.code).toBe(0);

    const session = await projectSession('devcloud-admin', ONLY_PROJECT);
    try {
      const inv = await inventoryOf(session);
      expect(names(inv, 'server')).toEqual(['demo-server']);
      expect(names(inv, 'volume')).toEqual(['demo-vol-blank']);
      expect(names(inv, 'network')).toEqual(['demo-net']);
      expect(names(inv, 'container')).toEqual([]);
      expect(names(inv, 'server_group')).toEqual([]);
      expect(names(inv, 'volume_snapshot')).toEqual([]);
      const server = inv.find((r) => r.kind === 'server')!;
      expect(server.fields.status).toBe('ACTIVE');
      const volume = inv.find((r) => r.kind === 'volume')!;
      expect((volume.fields.attachments as Array<{ server_id: string }>).map((a) => a.server_id)).toEqual([server.id]);
    } finally {
      await session.close();
    }

    const rollback = await runCli(['restore', 'apply', plan, '--rollback', '--json-events'], { timeoutMs: 15 * MINUTE });
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(reportOf(rollback).failed).toBe(0);
    const identity = await IdentityClient.open(admin);
    expect(await identity.findProject(ONLY_PROJECT).catch(() => undefined)).toBeUndefined();
  }, 30 * MINUTE);

  it('(4) apply killed with SIGKILL in the middle of wave 3 finishes on a re-run without creating anything twice', async () => {
    const plan = path.join(dir, 'plan-crash.json');
    const planned = await runCli(planArgs(['--os-cloud', 'devcloud-admin', '--project', CRASH_PROJECT, '--create-project', '-o', plan]));
    expect(planned.code, planned.stderr).toBe(0);
    const planDoc = readJson(plan);
    // "wave 3" counted in waves that create something (identity waves of a member's backup only map)
    const creating = (planDoc.waves as string[][]).map((w, i) => ({ w, i: i + 1 })).filter(({ w }) => w.filter((id) => planDoc.steps[id].action === 'create').length >= 3);
    const killWave = creating[2]?.i ?? creating[0]!.i;
    let doneInWave = 0;
    let killed = false;
    const first = await runCli(['restore', 'apply', plan, '--json-events', '--no-verify'], {
      timeoutMs: 20 * MINUTE,
      onStdoutLine(line, child) {
        if (killed || !line.startsWith('{')) return;
        const event = JSON.parse(line) as { event: string; wave?: number };
        if (event.event === 'step-done' && event.wave === killWave && ++doneInWave === 2) {
          killed = true;
          child.kill('SIGKILL');
        }
      },
    });
    expect(killed, `never reached wave ${killWave}: ${first.stderr.slice(-2000)}`).toBe(true);
    expect(first.code).toBe(137);
    const state = readJson(stateFileOf(plan));
    const statuses = Object.values(state.steps as Record<string, { status: string }>).map((s) => s.status);
    expect(statuses).toContain('done');
    expect(statuses.filter((s) => s === 'done').length).toBeLessThan(Object.keys(planDoc.steps).length);

    const second = await runCli(['restore', 'apply', plan, '--json-events', '--no-data-check'], { timeoutMs: 25 * MINUTE });
    const report = reportOf(second);
    expect(report.apply.failed, second.stderr).toEqual([]);
    expect(report.apply.blocked).toEqual([]);
    expect(report.fidelity.different, notIdentical(report)).toBe(0);
    expect(second.code).toBe(0);

    const session = await projectSession('devcloud-admin', CRASH_PROJECT);
    try {
      const inv = await inventoryOf(session);
      for (const kind of ['network', 'subnet', 'subnet_pool', 'router', 'security_group', 'security_group_rule', 'image', 'volume', 'volume_snapshot', 'server', 'server_group', 'container', 'object', 'floating_ip']) {
        const expectedCount = Object.values(planDoc.steps as Record<string, any>).filter((s) => s.kind === kind && s.operation === 'restore' && (s.action === 'create' || s.action === 'reuse')).length;
        // a server's root-disk image is an image of the project too
        const found = inv.filter((r) => r.kind === kind && !(kind === 'image' && r.name.endsWith('-root-disk'))).length;
        expect(found, `${kind} count`).toBe(expectedCount);
      }
      const ports = inv.filter((r) => r.kind === 'port' && r.name !== '');
      expect(new Set(ports.map((p) => p.name)).size).toBe(ports.length);
    } finally {
      await session.close();
    }
  }, 45 * MINUTE);

  it('(3) restores demo into the second cloud with a flavor and an external-network mapping: no difference but mapped fields', async () => {
    const plan = path.join(dir, 'plan-two.json');
    const planned = await runCli(planArgs(['--os-cloud', 'devcloud-two-admin', '--project', TWO_PROJECT, '--create-project', '--map', 'flavor:m1.tiny=m1.small', '--map', 'network:public=public', '-o', plan]));
    expect(planned.code, planned.stdout.slice(-3000) + planned.stderr).toBe(0);
    const planDoc = readJson(plan);
    expect(planDoc.mappings.cloud.same).toBe(false);
    expect(planDoc.mappings.flavor['m1.tiny'].to).toBe('m1.small');

    const run = await runCli(['restore', 'apply', plan, '--json-events'], { timeoutMs: 30 * MINUTE });
    const report = reportOf(run);
    expect(report.apply.failed, run.stderr).toEqual([]);
    expect(report.apply.blocked).toEqual([]);
    expect(report.fidelity.different, notIdentical(report)).toBe(0);
    expect(report.fidelity.missing).toBe(0);
    expect(report.fidelity.dataFailures).toEqual([]);
    expect(report.fidelity.data.different).toBe(0);
    expect(report.fidelity.data.checked).toBeGreaterThan(10);
    expect(run.code).toBe(0);
    const server = report.fidelity.resources.find((r: any) => r.kind === 'server' && r.name === 'demo-server');
    // the flavor (name and spec) is mapped, and so is the floating IP's address
    expect(server.mapped.map((m: any) => m.path)).toEqual(expect.arrayContaining(['flavor.original_name', 'flavor.ram']));
    const fip = report.fidelity.resources.find((r: any) => r.kind === 'floating_ip');
    expect(fip.mapped.map((m: any) => m.path)).toContain('floating_ip_address');
  }, 45 * MINUTE);
});
