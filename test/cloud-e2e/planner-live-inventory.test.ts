// The planner on what the real cloud says today: the live inventory of the seeded `demo` project
// and target facts gathered from the cloud (read-only: nothing is created). Guards against the
// inventory emitting something the planner cannot place (a reference it cannot classify, a
// resource without a step, a wave out of order).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../src/openstack/connect.js';
import type { Session } from '../../src/openstack/types.js';
import type { ResourceRecord } from '../../src/model/resource.js';
import { gatherTargetFacts } from '../../src/restore/target-facts.js';
import { loadServiceModules } from '../../services/registry.js';
import { buildPlan, parsePlan, renderPlan, serializePlan, type SnapshotManifestInput, type TargetFacts } from '../../restore-plans/index.js';

describe('planner on the live demo inventory', () => {
  let session: Session;
  let manifest: SnapshotManifestInput;
  let facts: TargetFacts;

  beforeAll(async () => {
    session = await openSession({ cloud: 'devcloud-demo' });
    const modules = await loadServiceModules();
    const resources: ResourceRecord[] = [];
    for (const module of modules) resources.push(...(await module.inventory({ session, projectId: session.project!.id })).resources);
    manifest = {
      snapshotId: 'live-inventory',
      source: { cloud: 'devcloud-demo', ...(session.region ? { region: session.region } : {}), authUrl: 'http://127.0.0.1:5000/v3', project: { id: session.project!.id, name: session.project!.name } },
      resources,
    };
    facts = (await gatherTargetFacts(session, { projectName: 'demo', modules })).facts;
  });

  afterAll(async () => {
    await session?.close();
  });

  it('in place with everything present: every resource is skipped or mapped, nothing to upload, preflight OK', () => {
    const plan = buildPlan(manifest, facts, { mode: 'in-place' });
    expect(plan.preflight.errors).toEqual([]);
    for (const record of manifest.resources.filter((r) => r.kind !== 'project')) {
      const step = plan.steps[`${record.kind}:${record.id}`];
      expect(step, `${record.kind} ${record.name}`).toBeDefined();
      expect(['skip', 'map'], `${record.kind} ${record.name}: ${step!.action}`).toContain(step!.action);
    }
    expect(plan.totals.actions.create).toBe(0);
    expect(plan.totals.bytesToTransfer).toBe(0);
  });

  it('into an empty project: everything is created in dependency order, and the plan file round-trips', () => {
    const empty: TargetFacts = { ...facts, project: { name: 'pf-test-planner-empty', exists: false }, existing: [], isAdmin: true };
    const plan = buildPlan(manifest, empty, { targetProject: 'pf-test-planner-empty' });
    expect(plan.preflight.errors).toEqual([]);
    const waveOf = new Map(plan.waves.flatMap((wave, index) => wave.map((id) => [id, index] as const)));
    for (const step of Object.values(plan.steps)) for (const dep of step.dependsOn) expect(waveOf.get(dep)!).toBeLessThan(waveOf.get(step.id)!);
    const server = manifest.resources.find((r) => r.kind === 'server' && r.name === 'demo-server')!;
    expect(plan.steps[`server:${server.id}`]!.action).toBe('create');
    expect(Object.values(plan.steps).some((s) => s.operation === 'floating-ip-associate')).toBe(true);
    expect(Object.values(plan.steps).some((s) => s.operation === 'router-interface')).toBe(true);
    expect(parsePlan(serializePlan(plan))).toEqual(plan);
    expect(renderPlan(plan)).toContain('Preflight: OK');
  });

  it('--only server:demo-server keeps to the server’s closure', () => {
    const empty: TargetFacts = { ...facts, project: { name: 'pf-test-planner-empty', exists: false }, existing: [], isAdmin: true };
    const plan = buildPlan(manifest, empty, { targetProject: 'pf-test-planner-empty', only: ['server:demo-server'] });
    const kinds = new Set(Object.values(plan.steps).map((s) => s.kind));
    expect(kinds.has('container')).toBe(false);
    expect(kinds.has('object')).toBe(false);
    expect(Object.values(plan.steps).filter((s) => s.kind === 'server' && s.operation === 'restore').map((s) => s.name)).toEqual(['demo-server']);
  });
});
