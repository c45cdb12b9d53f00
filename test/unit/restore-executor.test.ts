// The restore executor's own logic on the real demo manifest, with the cloud replaced by an
// in-memory stand-in (pure logic: waves, dependencies, state file, resume, rollback order).
// Against the real cloud: test/cloud-e2e/restore-demo.test.ts.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServiceModule } from '../../services/module.js';
import type { KindRestorer, OperationRestorer } from '../../services/restore-hooks.js';
import { buildPlan, type Plan } from '../../restore-plans/index.js';
import { RESOURCE_KINDS } from '../../src/model/kinds.js';
import type { Session } from '../../src/openstack/types.js';
import type { Repository } from '../../src/repository/types.js';
import { TimeoutError } from '../../src/http/errors.js';
import { applyPlan } from '../../src/restore/executor.js';
import type { RestoreEvent } from '../../src/restore/events.js';
import { rollbackRestore } from '../../src/restore/rollback.js';
import { newState, readState, StateStore } from '../../src/restore/state-file.js';
import { loadDemoManifest, sameCloudFacts } from './planner-fixtures/demo-facts.js';

/** A cloud that remembers what was made, by step ID (what a restore marker does for real). */
class FakeCloud {
  readonly made = new Map<string, string>();
  readonly creates: string[] = [];
  readonly deletes: string[] = [];
  readonly unmarked: string[] = [];
  failKind?: string;
  /** Kind whose first create is made but its answer lost (a timeout): the retry must adopt it. */
  lostAnswerKind?: string;
  private n = 0;

  restorer(): KindRestorer & OperationRestorer {
    return {
      // a reuse step without a known ID (the target's own default group) finds the target's one
      findExisting: async (_ctx, step) => this.made.get(step.id) ?? (step.action === 'reuse' ? `existing-${step.id}` : undefined),
      create: async (_ctx, step) => this.make(step.id, step.kind),
      apply: async (_ctx, step) => this.make(step.id, step.kind),
      delete: async (_ctx, step) => this.remove(step.id),
      undo: async (_ctx, step) => this.remove(step.id),
      unmark: async (_ctx, step) => {
        if (step.operation === 'restore') this.unmarked.push(step.id);
      },
    };
  }

  private async make(stepId: string, kind: string) {
    if (kind === this.failKind) throw new Error(`simulated ${kind} failure`);
    const id = `new-${++this.n}`;
    this.made.set(stepId, id);
    this.creates.push(stepId);
    if (kind === this.lostAnswerKind) {
      this.lostAnswerKind = undefined;
      throw new TimeoutError({ service: 'network', method: 'POST', url: 'http://127.0.0.1:9696/v2.0/routers' }, 60000, 'request');
    }
    return { id };
  }

  private async remove(stepId: string) {
    this.made.delete(stepId);
    this.deletes.push(stepId);
  }

  modules(): ServiceModule[] {
    const r = this.restorer();
    const kinds = Object.fromEntries(RESOURCE_KINDS.map((k) => [k, r]));
    const operations = Object.fromEntries(
      ['port/router-interface', 'router/router-interface', 'floating_ip/floating-ip-associate', 'server/volume-attach', 'security_group/security-group-rules'].map((k) => [k, r]),
    );
    return [{ name: 'fake', serviceTypes: [], kinds: [...RESOURCE_KINDS], inventory: async () => ({ resources: [], skipped: [] }), restore: { kinds, operations } }];
  }
}

function fakeSession(plan: Plan): Session {
  const project = { id: plan.target.project.id!, name: plan.target.project.name, domainId: 'default' };
  const session: Session = {
    cloudName: 'devcloud-demo',
    userId: 'u',
    project,
    roles: ['member'],
    isAdmin: () => false,
    token: async () => 'not-a-token',
    hasService: () => true,
    client: async () => {
      throw new Error('no cloud in a unit test');
    },
    scopedTo: async () => session,
    close: async () => undefined,
  };
  return session;
}

const repository = { readStream: async () => { throw new Error('no data in a unit test'); } } as unknown as Repository;

function setup(facts = sameCloudFacts()) {
  const manifest = loadDemoManifest();
  const plan = buildPlan(manifest, facts, { createdAt: '2026-11-21T23:00:00Z' });
  const dir = mkdtempSync(path.join(tmpdir(), 'pf-unit-restore-'));
  const file = path.join(dir, 'plan.state.json');
  const cloud = new FakeCloud();
  const events: RestoreEvent[] = [];
  const run = (signal = new AbortController().signal, keepMarkers = false) =>
    applyPlan({ plan, store: new StateStore(file, readState(file) ?? newState(plan.id)), session: fakeSession(plan), repository, records: manifest.resources, modules: cloud.modules(), reporter: { emit: (e) => events.push(e) }, signal, parallelism: 3, retryPauseMs: 1, keepMarkers });
  return { manifest, plan, file, cloud, events, run };
}

describe('restore executor', () => {
  it('creates every create step once, in wave order, and records the ID map in the state file', async () => {
    const { plan, file, cloud, events, run } = setup();
    const result = await run();
    expect(result.failed).toEqual([]);
    const createSteps = Object.values(plan.steps).filter((s) => s.action === 'create' && s.kind !== 'project').map((s) => s.id);
    expect([...cloud.creates].sort()).toEqual([...createSteps].sort());
    const waveOf = (id: string) => plan.waves.findIndex((w) => w.includes(id));
    const started = events.filter((e): e is Extract<RestoreEvent, { event: 'step-start' }> => e.event === 'step-start').map((e) => waveOf(e.stepId));
    expect(started).toEqual([...started].sort((a, b) => a - b));
    const state = JSON.parse(readFileSync(file, 'utf8'));
    const server = Object.values(plan.steps).find((s) => s.kind === 'server' && s.operation === 'restore' && s.action === 'create')!;
    expect(state.idMap.server[server.sourceId].id).toBe(cloud.made.get(server.id));
    expect(state.finishedAt).toBeDefined();
  });

  it('blocks what depends on a failed step and finishes it on the next run without repeating done steps', async () => {
    const { plan, cloud, run } = setup();
    cloud.failKind = 'network';
    const first = await run();
    expect(first.failed.length).toBeGreaterThan(0);
    expect(first.blocked.some((id) => id.startsWith('subnet:'))).toBe(true);
    expect(first.blocked.some((id) => id.startsWith('server:'))).toBe(true);
    const doneFirst = new Set(cloud.creates);
    cloud.failKind = undefined;
    const second = await run();
    expect(second.failed).toEqual([]);
    expect(second.blocked).toEqual([]);
    // nothing created twice
    expect(new Set(cloud.creates).size).toBe(cloud.creates.length);
    for (const id of doneFirst) expect(cloud.creates.filter((c) => c === id)).toHaveLength(1);
    expect(cloud.creates.length).toBe(Object.values(plan.steps).filter((s) => s.action === 'create' && s.kind !== 'project').length);
  });

  it('after an interruption, a step left "running" adopts what the cloud already has instead of creating it again', async () => {
    const { file, cloud, run } = setup();
    const controller = new AbortController();
    // the cloud "makes" the first networks, then the process dies before the state says done
    const real = cloud.modules;
    let calls = 0;
    cloud.modules = () => {
      const mods = real.call(cloud);
      const kinds = mods[0]!.restore!.kinds!;
      const inner = kinds.network!;
      kinds.network = { ...inner, create: async (ctx, step) => { const made = await inner.create(ctx, step); if (++calls === 1) { controller.abort(); throw new Error('killed'); } return made; } };
      return mods;
    };
    await run(controller.signal);
    const state = readState(file)!;
    const interrupted = Object.entries(state.steps).filter(([, s]) => s.status === 'failed' || s.status === 'running').map(([id]) => id);
    expect(interrupted.length).toBeGreaterThan(0);
    cloud.modules = real;
    const second = await run();
    expect(second.failed).toEqual([]);
    expect(new Set(cloud.creates).size).toBe(cloud.creates.length);
  });

  it('rolls back newest first and only what the restore created', async () => {
    const { plan, manifest, file, cloud, run } = setup();
    await run();
    const store = new StateStore(file, readState(file)!);
    const result = await rollbackRestore({ plan, store, session: fakeSession(plan), repository, records: manifest.resources, modules: cloud.modules(), reporter: { emit: () => undefined }, signal: new AbortController().signal });
    expect(result.failed).toBe(0);
    expect([...cloud.deletes].sort()).toEqual([...cloud.creates].sort());
    // every step goes after all the steps that need it
    const position = new Map(cloud.deletes.map((id, i) => [id, i]));
    for (const id of cloud.deletes) for (const dep of plan.steps[id]!.dependsOn) if (position.has(dep)) expect(position.get(dep)!).toBeGreaterThan(position.get(id)!);
    expect(cloud.made.size).toBe(0);
  });

  it('removes the restore markers only once every step is done, and never with --keep-markers', async () => {
    const { plan, cloud, run, events } = setup();
    cloud.failKind = 'network';
    await run();
    expect(cloud.unmarked).toEqual([]);
    expect(events.some((e) => e.event === 'markers-removed')).toBe(false);
    cloud.failKind = undefined;
    await run();
    const created = Object.values(plan.steps).filter((s) => s.action === 'create' && s.kind !== 'project' && s.operation === 'restore').map((s) => s.id);
    expect([...cloud.unmarked].sort()).toEqual([...created].sort());
    const removed = events.find((e): e is Extract<RestoreEvent, { event: 'markers-removed' }> => e.event === 'markers-removed')!;
    expect(removed.failed).toEqual([]);
    // the links (router interfaces, associations…) were asked too
    expect(removed.resources).toBe(Object.values(plan.steps).filter((s) => s.action === 'create' && s.kind !== 'project').length);
    // a finished apply run again does not touch them again
    await run();
    expect(cloud.unmarked).toHaveLength(created.length);

    const kept = setup();
    await kept.run(new AbortController().signal, true);
    expect(kept.cloud.unmarked).toEqual([]);
  });

  it('a member: a role mapped by name whose ID it cannot look up is not restorable (with the reason), not a failure', async () => {
    const { plan, cloud, run, events } = setup(sameCloudFacts({ roles: [], isAdmin: false }));
    const roleStep = Object.values(plan.steps).find((s) => s.kind === 'role' && s.action === 'map')!;
    expect(roleStep.targetId).toBeUndefined();
    const result = await run();
    expect(result.failed).toEqual([]);
    expect(result.blocked).toEqual([]);
    expect(result.notRestorable).toContain(roleStep.id);
    const event = events.find((e): e is Extract<RestoreEvent, { event: 'step-not-restorable' }> => e.event === 'step-not-restorable' && e.stepId === roleStep.id)!;
    expect(event.reason).toMatch(/needs the admin role/);
    expect(cloud.creates.some((id) => id.startsWith('server:'))).toBe(true);
  });

  it('tries a step again after a transient error, adopting what the lost attempt made instead of making it twice', async () => {
    const { plan, file, cloud, run } = setup();
    cloud.lostAnswerKind = 'router';
    const result = await run();
    expect(result.failed).toEqual([]);
    expect(new Set(cloud.creates).size).toBe(cloud.creates.length);
    const router = Object.values(plan.steps).find((s) => s.kind === 'router' && s.operation === 'restore')!;
    const st = JSON.parse(readFileSync(file, 'utf8')).steps[router.id];
    expect(st).toMatchObject({ status: 'done', created: true, attempts: 1, targetId: cloud.made.get(router.id) });
    expect(st.notes.join('\n')).toMatch(/no answer within 60000 ms.*tried again/);
  });
});
