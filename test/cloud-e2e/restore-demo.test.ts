// Restore of the seeded `demo` project against the real local clouds (issue 5, "Done when"):
// one backup of demo is shared by every scenario. Order matters and is fixed: the scenarios that
// leave demo alone first, the destructive in-place restore last (it empties demo, restores it,
// and the suite checks every seeded name is back).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServiceModules } from '../../services/registry.js';
import { ComputeClient } from '../../services/compute/client.js';
import { NetworkClient } from '../../services/networks/client.js';
import { IdentityClient } from '../../services/identity/client.js';
import type { ResourceRecord } from '../../src/model/resource.js';
import { openSession } from '../../src/openstack/connect.js';
import type { Session } from '../../src/openstack/types.js';
import { adminSession, demoBackup, dropProject, readJson, reportOf, runCli, SEEDED_DEMO, stateFileOf } from './helpers/restore-harness.js';
import { wipeProject } from './helpers/wipe-project.js';

const suffix = randomBytes(3).toString('hex');
const ONLY_PROJECT = `pf-test-restore-only-${suffix}`;
const CRASH_PROJECT = `pf-test-restore-crash-${suffix}`;
const PRE_PROJECT = `pf-test-restore-pre-${suffix}`;
const TWO_PROJECT = `pf-test-restore-two-${suffix}`;
const COPY_PROJECT = 'demo-copy';

let repo: string;
let snapshot: string;
let dir: string;
let admin: Session;

async function inventoryOf(session: Session): Promise<ResourceRecord[]> {
  const out: ResourceRecord[] = [];
  for (const mod of await loadServiceModules()) {
    if (mod.serviceTypes.some((t) => !session.hasService(t))) continue;
    out.push(...(await mod.inventory({ session, projectId: session.project!.id })).resources);
  }
  return out;
}

async function projectSession(cloud: string, name: string): Promise<Session> {
  const base = await adminSession(cloud);
  const identity = await IdentityClient.open(base);
  const project = await identity.findProject(name);
  if (!project) throw new Error(`project ${name} not found in ${cloud}`);
  const scoped = await base.scopedTo({ id: project.id });
  await base.close();
  return scoped;
}

function names(records: ResourceRecord[], kind: string): string[] {
  return records.filter((r) => r.kind === kind && r.status === 'ok').map((r) => r.name).sort();
}

function planArgs(extra: string[]): string[] {
  return ['restore', 'plan', snapshot, '--repo', repo, ...extra];
}

beforeAll(async () => {
  ({ repo, snapshot, dir } = await demoBackup());
  admin = await adminSession();
  for (const name of [COPY_PROJECT]) await dropProject(admin, name);
});

/** Keypairs (per user) and flavors (cloud-wide) a restore created live outside its project. */
async function dropGlobals(session: Session, planFile: string): Promise<void> {
  let state: { steps: Record<string, { created?: boolean; targetId?: string }> };
  try {
    state = readJson(stateFileOf(planFile));
  } catch {
    return;
  }
  const nova = await ComputeClient.open(session);
  for (const [stepId, st] of Object.entries(state.steps)) {
    if (!st.created || !st.targetId) continue;
    if (stepId.startsWith('keypair:')) await nova.deleteKeypair(st.targetId).catch(() => undefined);
    if (stepId.startsWith('flavor:')) await nova.deleteFlavor(st.targetId).catch(() => undefined);
  }
}

afterAll(async () => {
  for (const name of [ONLY_PROJECT, CRASH_PROJECT, PRE_PROJECT, COPY_PROJECT]) await dropProject(admin, name).catch(() => undefined);
  for (const plan of ['plan-only.json', 'plan-copy.json', 'plan-crash.json']) await dropGlobals(admin, path.join(dir, plan)).catch(() => undefined);
  const two = await adminSession('devcloud-two-admin').catch(() => undefined);
  if (two) {
    await dropProject(two, TWO_PROJECT).catch(() => undefined);
    await dropGlobals(two, path.join(dir, 'plan-two.json')).catch(() => undefined);
    await two.close();
  }
  await admin?.close();
});

// NOT YET PASSING — issue 5 stays open. In the one sequential run against the real cloud
// (2026-11-21) only (6) and (2) passed on their own; (1) empties the seeded demo project and
// stopped halfway (a volume Cinder would not delete yet), which then broke every later suite that
// needs demo. Until (1)–(5) pass reliably this suite is parked so that it cannot damage the shared
// demo project in CI. Run it on purpose with: npx vitest run --project cloud test/cloud-e2e/restore-demo.test.ts
// after removing `.skip`.
describe.skip('restore of the demo project', () => {
  it('(6) stops at the preflight for a flavor mapping the target cannot meet, and creates nothing', async () => {
    const plan = path.join(dir, 'plan-preflight.json');
    const run = await runCli(planArgs(['--os-cloud', 'devcloud-admin', '--project', PRE_PROJECT, '--create-project', '--map', 'flavor:m1.tiny=no-such-flavor', '-o', plan]));
    expect(run.code, run.stderr).toBe(12);
    expect(run.stdout + run.stderr).toContain('no-such-flavor');
    expect(readJson(plan).preflight.ok).toBe(false);
    // apply refuses it as well, before touching the cloud
    const apply = await runCli(['restore', 'apply', plan, '--json']);
    expect(apply.code).toBe(12);
    const identity = await IdentityClient.open(admin);
    expect(await identity.findProject(PRE_PROJECT).catch(() => undefined)).toBeUndefined();
  });

  it('(5) --only server:demo-server restores the server and exactly its closure into an empty project', async () => {
    const plan = path.join(dir, 'plan-only.json');
    const planned = await runCli(planArgs(['--os-cloud', 'devcloud-admin', '--project', ONLY_PROJECT, '--create-project', '--only', 'server:demo-server', '-o', plan]));
    expect(planned.code, planned.stderr).toBe(0);
    const steps = Object.values(readJson(plan).steps) as Array<{ kind: string; name: string; action: string; operation: string }>;
    const created = (kind: string) => steps.filter((s) => s.kind === kind && s.action === 'create' && s.operation === 'restore').map((s) => s.name);
    expect(created('server')).toEqual(['demo-server']);
    expect(steps.some((s) => s.name === 'demo-server-ud' || s.name === 'demo-net2' || s.name === 'demo-vol-from-image' || s.kind === 'container' || s.kind === 'object')).toBe(false);

    const run = await runCli(['restore', 'apply', plan, '--json', '--no-data-check']);
    const report = reportOf(run);
    expect(run.code, run.stderr).toBe(0);
    expect(report.apply.failed).toEqual([]);
    expect(report.fidelity.different).toBe(0);

    const session = await projectSession('devcloud-admin', ONLY_PROJECT);
    try {
      const inv = await inventoryOf(session);
      expect(names(inv, 'server')).toEqual(['demo-server']);
      expect(names(inv, 'volume')).toEqual(['demo-vol-blank']);
      expect(names(inv, 'network')).toEqual(['demo-net']);
      expect(names(inv, 'container')).toEqual([]);
      expect(names(inv, 'server_group')).toEqual([]);
      const server = inv.find((r) => r.kind === 'server')!;
      expect(server.fields.status).toBe('ACTIVE');
      const volume = inv.find((r) => r.kind === 'volume')!;
      expect((volume.fields.attachments as Array<{ server_id: string }>).map((a) => a.server_id)).toEqual([server.id]);
    } finally {
      await session.close();
    }
  });

  it('(2) restores demo into a new project demo-copy while demo exists: no difference but mapped fields; --rollback removes it again', async () => {
    const plan = path.join(dir, 'plan-copy.json');
    const planned = await runCli(planArgs(['--os-cloud', 'devcloud-admin', '--project', COPY_PROJECT, '--create-project', '-o', plan]));
    expect(planned.code, planned.stderr).toBe(0);
    const run = await runCli(['restore', 'apply', plan, '--json', '--no-data-check']);
    const report = reportOf(run);
    expect(report.apply.failed, run.stderr).toEqual([]);
    expect(report.apply.blocked).toEqual([]);
    expect(report.fidelity.different, JSON.stringify(report.fidelity.resources.filter((r: any) => r.verdict !== 'identical'), null, 1)).toBe(0);
    expect(report.fidelity.missing).toBe(0);
    expect(report.fidelity.identical).toBeGreaterThan(40);
    // the only accepted changes are mapped ones, each with its reason
    expect(report.fidelity.notRestorable.map((n: any) => n.reason).join('\n')).toMatch(/floating_ip_address/);
    expect(run.code).toBe(0);

    const session = await projectSession('devcloud-admin', COPY_PROJECT);
    try {
      const inv = await inventoryOf(session);
      for (const [kind, expected] of Object.entries(SEEDED_DEMO)) {
        if (kind === 'image') continue; // reused from demo by checksum (same cloud): mapped, not copied
        expect(names(inv, kind), kind).toEqual(expect.arrayContaining(expected));
      }
    } finally {
      await session.close();
    }

    const rollback = await runCli(['restore', 'apply', plan, '--rollback', '--json']);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(reportOf(rollback).failed).toBe(0);
    const identity = await IdentityClient.open(admin);
    expect(await identity.findProject(COPY_PROJECT).catch(() => undefined)).toBeUndefined();
  });

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
    const first = await runCli(['restore', 'apply', plan, '--json', '--no-verify'], {
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

    const second = await runCli(['restore', 'apply', plan, '--json', '--no-data-check']);
    const report = reportOf(second);
    expect(report.apply.failed, second.stderr).toEqual([]);
    expect(report.fidelity.different).toBe(0);
    expect(second.code).toBe(0);

    const session = await projectSession('devcloud-admin', CRASH_PROJECT);
    try {
      const inv = await inventoryOf(session);
      for (const kind of ['network', 'subnet', 'subnet_pool', 'router', 'security_group', 'security_group_rule', 'volume', 'volume_snapshot', 'server', 'server_group', 'container', 'object', 'floating_ip']) {
        const expectedCount = (planDoc.steps ? Object.values(planDoc.steps as Record<string, any>).filter((s) => s.kind === kind && s.operation === 'restore' && (s.action === 'create' || s.action === 'reuse')).length : 0);
        expect(inv.filter((r) => r.kind === kind).length, `${kind} count`).toBe(expectedCount);
      }
      const ports = inv.filter((r) => r.kind === 'port' && r.name !== '');
      expect(new Set(ports.map((p) => p.name)).size).toBe(ports.length);
    } finally {
      await session.close();
    }
  });

  it('(3) restores demo into the second cloud with a flavor and an external-network mapping: no difference but mapped fields', async () => {
    const plan = path.join(dir, 'plan-two.json');
    const planned = await runCli(planArgs(['--os-cloud', 'devcloud-two-admin', '--project', TWO_PROJECT, '--create-project', '--map', 'flavor:m1.tiny=m1.small', '--map', 'network:public=public', '-o', plan]));
    expect(planned.code, planned.stdout.slice(-3000) + planned.stderr).toBe(0);
    const planDoc = readJson(plan);
    expect(planDoc.mappings.cloud.same).toBe(false);
    expect(planDoc.mappings.flavor['m1.tiny'].to).toBe('m1.small');

    const run = await runCli(['restore', 'apply', plan, '--json']);
    const report = reportOf(run);
    expect(report.apply.failed, run.stderr).toEqual([]);
    expect(report.fidelity.different, JSON.stringify(report.fidelity.resources.filter((r: any) => r.verdict !== 'identical'), null, 1)).toBe(0);
    expect(report.fidelity.data.different).toBe(0);
    expect(report.fidelity.data.checked).toBeGreaterThan(10);
    expect(run.code).toBe(0);
    const server = report.fidelity.resources.find((r: any) => r.kind === 'server' && r.name === 'demo-server');
    expect(server.mapped.map((m: any) => m.path)).toContain('flavor.original_name');
  });

  it('(1) backs up demo, deletes every resource in it, restores it in place: no difference, server ACTIVE with its volume and floating IP, data hashes equal', async () => {
    const demo = await openSession({ cloud: 'devcloud-demo' });
    try {
      await wipeProject(demo, { keypairs: true });
      const emptied = await inventoryOf(demo);
      expect(names(emptied, 'server')).toEqual([]);
      expect(names(emptied, 'volume')).toEqual([]);
      expect(names(emptied, 'network')).toEqual([]);

      const plan = path.join(dir, 'plan-inplace.json');
      const planned = await runCli(planArgs(['--os-cloud', 'devcloud-demo', '--mode', 'in-place', '-o', plan]));
      expect(planned.code, planned.stderr).toBe(0);
      const run = await runCli(['restore', 'apply', plan, '--json']);
      const report = reportOf(run);
      expect(report.apply.failed, run.stderr).toEqual([]);
      expect(report.fidelity.different, JSON.stringify(report.fidelity.resources.filter((r: any) => r.verdict !== 'identical'), null, 1)).toBe(0);
      expect(report.fidelity.missing).toBe(0);
      expect(report.fidelity.data.different).toBe(0);
      expect(report.fidelity.data.checked).toBeGreaterThan(10);
      expect(run.code).toBe(0);

      const inv = await inventoryOf(demo);
      for (const [kind, expected] of Object.entries(SEEDED_DEMO)) expect(names(inv, kind), kind).toEqual(expect.arrayContaining(expected));
      const nova = await ComputeClient.open(demo);
      const neutron = await NetworkClient.open(demo);
      const server = (await nova.listServers()).find((s) => s.name === 'demo-server')!;
      expect(server.status).toBe('ACTIVE');
      const blank = inv.find((r) => r.kind === 'volume' && r.name === 'demo-vol-blank')!;
      expect((await nova.listVolumeAttachments(server.id)).map((a) => a.volumeId)).toEqual([blank.id]);
      const ports = await neutron.listPorts({ device_id: server.id });
      const fips = await neutron.listFloatingIps({ project_id: demo.project!.id });
      expect(fips.some((f) => ports.some((p) => p.id === f.port_id))).toBe(true);
    } finally {
      await demo.close();
    }
  });
});
