// Restore fidelity on a project nobody seeded before (issue 16): an IPv6 SLAAC subnet with a port
// that has a fixed address on it and allowed address pairs, a router with a leg on a gateway-less
// subnet and an extra route, a volume with two snapshots, a versioned container with three
// versions and a symlink object (helpers/fidelity-seed.ts). The project is backed up with
// --snapshot-data and restored into a new, empty project of the same cloud:
//   - apply and `restore verify`: zero differences, data equal by hash;
//   - no permafrost marker left on any resource;
//   - rollback leaves nothing in the target (every kind listed);
//   - an apply killed after some waves, then rolled back, leaves nothing either.
// The local cloud's Cinder runs the NFS driver, whose reimage writes the volume's base file
// (which the snapshots share): there the snapshots cannot hold data of their own, neither in the
// seed nor in the restore, and the test checks the restore says so for each snapshot (with
// another driver, it checks each snapshot's data by hash).
// Every project the suite makes is removed in afterAll, also when a test fails.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityClient } from '../../services/identity/client.js';
import { NetworkClient } from '../../services/networks/client.js';
import { ObjectClient } from '../../services/objects/client.js';
import type { Session } from '../../src/openstack/types.js';
import { seedFidelityProject, type FidelitySeed } from './helpers/fidelity-seed.js';
import { adminSession, dropProject, freshRestoreRepository, grantRole, inventoryOf, notIdentical, projectSession, readJson, reportOf, runCli, stateFileOf } from './helpers/restore-harness.js';
import { leftovers } from './helpers/wipe-project.js';

const suffix = randomBytes(3).toString('hex');
const SOURCE = `pf-test-fidelity-src-${suffix}`;
const TARGET = `pf-test-fidelity-target-${suffix}`;
const PARTIAL = `pf-test-fidelity-target-partial-${suffix}`;
const MINUTE = 60_000;
const MARKERS = /pf-restore:|pf-src:|permafrost_restore_id|permafrost_source_id|permafrost_restore_temporary/i;

let admin: Session;
let source: Session;
let seed: FidelitySeed;
let repo: string;
let dir: string;
let snapshot: string;

async function newProject(name: string): Promise<string> {
  const identity = await IdentityClient.open(admin);
  const id = (await identity.createProject({ name, description: 'pf-test-fidelity suite', domain_id: 'default' })).id;
  await grantRole(admin, id, admin.userId, 'admin');
  return id;
}

beforeAll(async () => {
  admin = await adminSession();
  await newProject(SOURCE);
  source = await projectSession(admin, 'devcloud-admin', SOURCE);
  seed = await seedFidelityProject(source);
  ({ repo, dir } = await freshRestoreRepository('pf-test-fidelity-'));
  const backup = await runCli(['backup', '--os-cloud', 'devcloud-admin', '--project', SOURCE, '--repo', repo, '--json', '--snapshot-data'], { timeoutMs: 15 * MINUTE });
  const result = reportOf(backup).projects?.[0];
  if (backup.code !== 0 || !result?.snapshot) throw new Error(`backup of ${SOURCE}: exit ${backup.code}\n${backup.stdout.slice(-3000)}\n${backup.stderr.slice(-2000)}`);
  snapshot = String(result.snapshot);
}, 25 * MINUTE);

afterAll(async () => {
  const problems: string[] = [];
  await source?.close();
  if (admin) {
    for (const name of [SOURCE, TARGET, PARTIAL]) await dropProject(admin, name).catch((err: unknown) => problems.push(`drop ${name}: ${(err as Error).message}`));
    await admin.close();
  }
  if (problems.length > 0) throw new Error(`cleanup left something behind:\n${problems.join('\n')}`);
}, 15 * MINUTE);

async function plan(target: string, file: string): Promise<string> {
  await newProject(target);
  const planFile = path.join(dir, file);
  const planned = await runCli(['restore', 'plan', snapshot, '--repo', repo, '--os-cloud', 'devcloud-admin', '--project', target, '-o', planFile]);
  if (planned.code !== 0) throw new Error(`restore plan into ${target}: exit ${planned.code}\n${planned.stdout.slice(-3000)}\n${planned.stderr.slice(-3000)}`);
  return planFile;
}

/** Every resource of the project, as `kind:name` with whatever still carries a permafrost marker. */
async function markedResources(session: Session): Promise<string[]> {
  const inv = await inventoryOf(session);
  return inv.filter((r) => MARKERS.test(JSON.stringify(r.fields))).map((r) => `${r.kind}:${r.name || r.id}`);
}

async function rollbackLeavesNothing(planFile: string, target: string): Promise<void> {
  const rollback = await runCli(['restore', 'apply', planFile, '--rollback', '--json'], { timeoutMs: 15 * MINUTE });
  const report = reportOf(rollback);
  expect(report.failed, rollback.stdout.slice(-4000)).toBe(0);
  expect(rollback.code).toBe(0);
  const session = await projectSession(admin, 'devcloud-admin', target);
  try {
    expect(await leftovers(session, { keypairs: false })).toEqual([]);
  } finally {
    await session.close();
  }
}

describe('restore fidelity of an unseen project', () => {
  it('restores into a new project with zero differences, snapshot data by hash, no marker left; rollback leaves nothing', async () => {
    const planFile = await plan(TARGET, 'plan-fidelity.json');
    const apply = await runCli(['restore', 'apply', planFile, '--json'], { timeoutMs: 20 * MINUTE });
    const report = reportOf(apply);
    expect(report.apply.failed, apply.stdout.slice(-4000)).toEqual([]);
    expect(report.apply.blocked).toEqual([]);
    expect(report.fidelity.different, notIdentical(report)).toBe(0);
    expect(report.fidelity.missing).toBe(0);
    expect(apply.code).toBe(0);

    const verify = await runCli(['restore', 'verify', planFile, '--json'], { timeoutMs: 15 * MINUTE });
    const verified = reportOf(verify);
    expect(verified.fidelity.different, notIdentical(verified)).toBe(0);
    expect(verified.fidelity.missing).toBe(0);
    expect(verified.fidelity.data.different).toBe(0);
    expect(verify.code).toBe(0);

    // volume snapshots: their own data by hash, or (a file-based volume driver) the reason why not
    const state = readJson(stateFileOf(planFile));
    const snapshotSteps = Object.entries(state.steps as Record<string, any>).filter(([id]) => id.startsWith('volume_snapshot:'));
    expect(snapshotSteps.map(([id]) => id.slice('volume_snapshot:'.length)).sort()).toEqual([...seed.snapshotIds].sort());
    for (const [stepId, st] of snapshotSteps) {
      const resource = verified.fidelity.resources.find((r: any) => r.stepId === stepId);
      if (st.changed?.data) expect(st.changed.data.why).toMatch(/keeps volumes as files/);
      else expect(resource.data.map((d: any) => d.verdict)).toEqual(['equal']);
    }

    const target = await projectSession(admin, 'devcloud-admin', TARGET);
    try {
      expect(await markedResources(target)).toEqual([]);
      const inv = await inventoryOf(target);
      // the SLAAC address comes back equal (same MAC), the router leg keeps its description
      const port = inv.find((r) => r.kind === 'port' && r.name === 'pf-test-fidelity-port')!;
      const original = (await inventoryOf(source)).find((r) => r.kind === 'port' && r.name === 'pf-test-fidelity-port')!;
      expect((port.fields.fixed_ips as Array<{ ip_address: string }>).map((f) => f.ip_address).sort()).toEqual((original.fields.fixed_ips as Array<{ ip_address: string }>).map((f) => f.ip_address).sort());
      const leg = inv.find((r) => r.kind === 'port' && r.name === 'pf-test-fidelity-router-leg')!;
      expect(leg.fields.description).toBe('leg on the gateway-less subnet');
      // the symlink is a symlink again, to the object in the new project's account
      const swift = await ObjectClient.open(target);
      const head = await swift.http.request({ method: 'HEAD', path: `${swift.http.endpoint}/${seed.links}/${seed.symlink}`, searchParams: { symlink: 'get' } });
      expect(head.headers['x-symlink-target']).toBe(`${seed.container}/target.txt`);
      expect(head.headers['x-symlink-target-account'] ?? target.project!.id).toContain(target.project!.id);
      const neutron = await NetworkClient.open(target);
      const router = (await neutron.listRouters({ project_id: target.project!.id }))[0]!;
      expect(router.routes).toEqual([{ destination: '10.70.0.0/24', nexthop: '10.62.0.9' }]);
    } finally {
      await target.close();
    }

    await rollbackLeavesNothing(planFile, TARGET);
  }, 45 * MINUTE);

  it('an apply killed after some waves is rolled back completely (routes, interfaces, routers)', async () => {
    const planFile = await plan(PARTIAL, 'plan-partial.json');
    const planDoc = readJson(planFile);
    // killed once a router interface is linked: the router's extra route is set by then
    const interfaceSteps = new Set(Object.values(planDoc.steps as Record<string, any>).filter((s) => s.operation === 'router-interface').map((s) => s.id));
    let linked = 0;
    let killed = false;
    const first = await runCli(['restore', 'apply', planFile, '--json-events', '--no-verify'], {
      timeoutMs: 20 * MINUTE,
      onStdoutLine(line, child) {
        if (killed || !line.startsWith('{')) return;
        const event = JSON.parse(line) as { event: string; stepId?: string };
        if (event.event === 'step-done' && interfaceSteps.has(event.stepId!) && ++linked === interfaceSteps.size) {
          killed = true;
          child.kill('SIGKILL');
        }
      },
    });
    expect(killed, first.stdout.slice(-3000) + first.stderr.slice(-2000)).toBe(true);
    expect(first.code).toBe(137);
    const state = readJson(stateFileOf(planFile));
    const done = Object.values(state.steps as Record<string, { status: string }>).filter((s) => s.status === 'done').length;
    expect(done).toBeLessThan(Object.keys(planDoc.steps).length);
    // resume markers are still on what the killed run made
    const target = await projectSession(admin, 'devcloud-admin', PARTIAL);
    try {
      expect((await markedResources(target)).length).toBeGreaterThan(0);
    } finally {
      await target.close();
    }
    await rollbackLeavesNothing(planFile, PARTIAL);
  }, 30 * MINUTE);
});
