// `restore apply`: runs a plan's waves against the target cloud. Within a wave, steps run with
// bounded parallelism; a wave starts when the previous one is done. Every transition is saved in
// the state file before and after the cloud call, and every created resource carries the restore
// marker, so a run killed at any point is finished by running apply again: steps that are done
// are not repeated, and a step that was running looks for what it may have created (by marker)
// before it creates anything. A failed step does not stop the others; the steps that depend on
// it are reported "blocked", and the run ends "partial".
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceModule } from '../../services/module.js';
import type { KindRestorer, OperationRestorer, RestoreStep } from '../../services/restore-hooks.js';
import { NotRestorableError } from '../../services/restore-hooks.js';
import { mapLimit } from '../../services/common/limit.js';
import { initialIdMap, lookupId, setId } from '../../restore-plans/id-map.js';
import type { Plan, PlanStep } from '../../restore-plans/plan-schema.js';
import { RateLimitedError, ServerError, TimeoutError, UnauthorizedError, UnreachableError } from '../http/errors.js';
import type { ResourceRecord } from '../model/resource.js';
import type { Session } from '../openstack/types.js';
import type { Repository } from '../repository/types.js';
import type { RestoreReporter, StepOutcome } from './events.js';
import { contextForStep, recordKey, type RunContext } from './restore-context.js';
import type { StateStore, StepState } from './state-file.js';
import { removeMarkers } from './remove-markers.js';
import { openTargetProject } from './target-project.js';

export interface ApplyOptions {
  plan: Plan;
  store: StateStore;
  /** Session on the target cloud (any scope; the executor scopes it to the target project). */
  session: Session;
  repository: Repository;
  /** The snapshot's records (manifest resources). */
  records: ResourceRecord[];
  modules: ServiceModule[];
  reporter: RestoreReporter;
  signal: AbortSignal;
  /** Steps in flight at once within a wave (default 4). */
  parallelism?: number;
  /** Pause before the next attempt of a step after a transient error, times the attempt (default 5 s). */
  retryPauseMs?: number;
  /** Leave the restore markers on the restored resources (`--keep-markers`); else removed once every step is done. */
  keepMarkers?: boolean;
}

export interface ApplyResult {
  counts: Record<string, number>;
  failed: string[];
  blocked: string[];
  notRestorable: string[];
  projectId: string;
}

const FINAL: ReadonlySet<StepState['status']> = new Set(['done', 'not-restorable']);
/** Attempts of one step within a run when the cloud answers with a transient error. */
const STEP_ATTEMPTS = 3;
const RETRY_PAUSE_MS = 5000;
/** Keystone kinds: what a member cannot read or change there is skipped with a note, not failed. */
const IDENTITY_KINDS: ReadonlySet<PlanStep['kind']> = new Set(['user', 'group', 'role', 'role_assignment', 'application_credential']);

/** Finds the restorer of a step: `restore` operations by kind, the others by `<kind>/<operation>`. */
export function restorerFor(modules: ServiceModule[], step: Pick<PlanStep, 'kind' | 'operation'>): KindRestorer | OperationRestorer | undefined {
  for (const mod of modules) {
    if (step.operation === 'restore') {
      const found = mod.restore?.kinds?.[step.kind];
      if (found) return found;
    } else {
      const found = mod.restore?.operations?.[`${step.kind}/${step.operation}`];
      if (found) return found;
    }
  }
  return undefined;
}

function isKindRestorer(r: KindRestorer | OperationRestorer): r is KindRestorer {
  return 'create' in r;
}

export function toRestoreStep(step: PlanStep): RestoreStep {
  return {
    id: step.id,
    kind: step.kind,
    operation: step.operation,
    action: step.action,
    sourceId: step.sourceId,
    name: step.name,
    ...(step.targetName !== undefined ? { targetName: step.targetName } : {}),
    ...(step.targetId !== undefined ? { targetId: step.targetId } : {}),
    ...(step.update !== undefined ? { update: step.update } : {}),
    ...(step.params !== undefined ? { params: step.params } : {}),
    mappedFields: step.mappedFields,
  };
}

export async function applyPlan(opts: ApplyOptions): Promise<ApplyResult> {
  const { plan, store, reporter, signal } = opts;
  const started = Date.now();
  const resumed = Object.keys(store.state.steps).length > 0;
  reporter.emit({ event: 'apply-start', restoreId: plan.id, steps: Object.keys(plan.steps).length, waves: plan.waves.length, resumed });
  await store.update((s) => {
    s.startedAt ??= new Date().toISOString();
    // what the plan knows before anything runs (mapped and existing resources); what earlier runs made wins
    const known = initialIdMap(plan);
    for (const [kind, table] of Object.entries(known)) {
      for (const [oldId, entry] of Object.entries(table ?? {})) {
        if (!lookupId(s.idMap, kind as PlanStep['kind'], oldId)) setId(s.idMap, kind as PlanStep['kind'], oldId, entry);
      }
    }
  });

  const { session, projectId } = await openTargetProject(opts.session, plan, store, reporter);
  await store.update((s) => setId(s.idMap, 'project', plan.source.project.id, { id: projectId, name: plan.target.project.name }));
  let bytes = 0;
  let lastBytesEvent = 0;
  const run: RunContext = {
    session,
    projectId,
    restoreId: plan.id,
    mode: plan.mode,
    sameCloud: plan.mappings.cloud.same,
    snapshotId: plan.snapshot.id,
    repository: opts.repository,
    records: new Map(opts.records.map((r) => [recordKey(r.kind, r.id), r])),
    store,
    signal,
    onBytes(n) {
      bytes += n;
      if (bytes - lastBytesEvent >= 4 * 2 ** 20) {
        lastBytesEvent = bytes;
        reporter.emit({ event: 'bytes', total: bytes });
      }
    },
  };

  for (const [index, wave] of plan.waves.entries()) {
    if (signal.aborted) break;
    const waveNo = index + 1;
    reporter.emit({ event: 'wave-start', wave: waveNo, steps: wave.length });
    await mapLimit(wave, opts.parallelism ?? 4, (stepId) => runStep(opts, run, plan.steps[stepId]!, waveNo));
  }
  if (!signal.aborted) await finishSteps(opts, run);
  reporter.emit({ event: 'bytes', total: bytes });

  const counts: Record<string, number> = {};
  const failed: string[] = [];
  const blocked: string[] = [];
  const notRestorable: string[] = [];
  for (const id of Object.keys(plan.steps)) {
    const status = store.step(id).status;
    counts[status] = (counts[status] ?? 0) + 1;
    if (status === 'failed') failed.push(id);
    if (status === 'blocked') blocked.push(id);
    if (status === 'not-restorable') notRestorable.push(id);
  }
  // markers stay while anything is left to resume (they find a killed run's work)
  if (!opts.keepMarkers && !store.state.markersRemovedAt && failed.length === 0 && blocked.length === 0 && !signal.aborted) {
    const removed = await removeMarkers(opts, run);
    reporter.emit({ event: 'markers-removed', ...removed });
  }
  await store.update((s) => {
    if (failed.length === 0 && blocked.length === 0 && !signal.aborted) s.finishedAt = new Date().toISOString();
  });
  await store.flush();
  reporter.emit({ event: 'apply-done', counts, seconds: Math.round((Date.now() - started) / 1000) });
  return { counts, failed, blocked, notRestorable, projectId };
}

async function runStep(opts: ApplyOptions, run: RunContext, step: PlanStep, wave: number): Promise<void> {
  const { store, reporter } = opts;
  const st = store.step(step.id);
  if (FINAL.has(st.status)) return;
  if (run.signal.aborted) return;
  const blockers = step.dependsOn.filter((dep) => !FINAL.has(store.step(dep).status) || (store.step(dep).status === 'not-restorable' && needsTarget(step)));
  if (blockers.length > 0) {
    await store.update(() => {
      st.status = 'blocked';
      st.error = `waits for ${blockers.join(', ')}, which did not finish`;
    });
    reporter.emit({ event: 'step-blocked', stepId: step.id, wave, blockedBy: blockers });
    return;
  }
  const wasStarted = st.status === 'running' || st.status === 'failed' || (st.attempts ?? 0) > 0;
  reporter.emit({ event: 'step-start', stepId: step.id, wave, kind: step.kind, name: step.name, action: step.action, operation: step.operation });
  await store.update(() => {
    st.status = 'running';
    st.attempts = (st.attempts ?? 0) + 1;
    st.startedAt = new Date().toISOString();
    delete st.error;
  });
  const notes: string[] = [];
  const record = run.records.get(recordKey(step.kind, step.sourceId));
  const ctx = contextForStep(run, step.id, record, notes);
  const restoreStep = { ...toRestoreStep(step), ...(wasStarted ? { previouslyStarted: true } : {}) };
  try {
    const { outcome, targetId, created, changed } = await withRetries(run, notes, opts.retryPauseMs ?? RETRY_PAUSE_MS, (again) => performStep(opts, ctx, again ? { ...restoreStep, previouslyStarted: true } : restoreStep, step, wasStarted || again));
    // what an interrupted attempt left behind (a volume's fill image), once the resource is there
    await dropTemporaries(opts, ctx, step);
    await store.update((s) => {
      st.status = 'done';
      if (targetId !== undefined) st.targetId = targetId;
      if (created) st.created = true;
      if (changed && Object.keys(changed).length > 0) st.changed = changed;
      if (notes.length > 0) st.notes = notes;
      st.finishedAt = new Date().toISOString();
      // secondary steps (interfaces, attachments, associations) do not stand for a resource of their own…
      const mapsResource = step.operation === 'restore' || (step.operation === 'router-interface' && step.kind === 'port');
      if (targetId !== undefined && mapsResource) {
        const name = step.kind === 'container' || step.kind === 'keypair' ? targetId : step.targetName;
        setId(s.idMap, step.kind, step.sourceId, { id: targetId, ...(name ? { name } : {}) });
      }
    });
    reporter.emit({ event: 'step-done', stepId: step.id, wave, outcome, ...(targetId ? { targetId } : {}), ...(notes.length > 0 ? { notes } : {}) });
  } catch (err) {
    if (err instanceof NotRestorableError) {
      await store.update(() => {
        st.status = 'not-restorable';
        st.error = err.message;
        st.finishedAt = new Date().toISOString();
      });
      reporter.emit({ event: 'step-not-restorable', stepId: step.id, wave, reason: err.message });
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    await store.update(() => {
      st.status = 'failed';
      st.error = message;
      if (notes.length > 0) st.notes = notes;
      st.finishedAt = new Date().toISOString();
    });
    reporter.emit({ event: 'step-failed', stepId: step.id, wave, error: message });
  }
}

/** Temporary helpers (images volumes are filled from) an interrupted attempt of the step left behind. */
async function dropTemporaries(opts: ApplyOptions, ctx: ReturnType<typeof contextForStep>, step: PlanStep): Promise<void> {
  for (const aux of opts.store.step(step.id).auxiliary ?? []) {
    if (!aux.temporary) continue;
    const restorer = restorerFor(opts.modules, { kind: aux.kind, operation: 'restore' });
    if (!restorer || !isKindRestorer(restorer)) continue;
    await restorer.delete(ctx, toRestoreStep(step), aux.id);
    await ctx.releaseAuxiliary(aux);
  }
}

/**
 * Errors of an overloaded cloud (no answer in time, 5xx, 429, connection lost) and a token that
 * expired under an upload (the client re-authenticated; only the step can send its data again):
 * worth another attempt.
 */
function isTransient(err: unknown): boolean {
  return err instanceof TimeoutError || err instanceof ServerError || err instanceof UnreachableError || err instanceof RateLimitedError || err instanceof UnauthorizedError;
}

/**
 * Runs a step, and again (at most STEP_ATTEMPTS times) after a transient error: the next attempt
 * first looks for what the failed one may have made (a create whose answer was lost), exactly as
 * a resumed run does, so nothing is made twice.
 */
async function withRetries<T>(run: RunContext, notes: string[], pauseMs: number, attempt: (again: boolean) => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n > 1);
    } catch (err) {
      if (n >= STEP_ATTEMPTS || !isTransient(err) || run.signal.aborted) throw err;
      notes.push(`attempt ${n} failed (${err instanceof Error ? err.message : String(err)}): tried again`);
      await sleep(pauseMs * n, undefined, { signal: run.signal }).catch(() => undefined);
    }
  }
}

/** A not-restorable dependency only blocks steps that need its target ID (none do today but links). */
function needsTarget(step: PlanStep): boolean {
  return step.operation !== 'restore';
}

interface StepResult {
  outcome: StepOutcome;
  targetId?: string;
  created?: boolean;
  changed?: Record<string, { to: unknown; why: string }>;
}

async function performStep(opts: ApplyOptions, ctx: ReturnType<typeof contextForStep>, step: RestoreStep, planStep: PlanStep, wasStarted: boolean): Promise<StepResult> {
  const restorer = restorerFor(opts.modules, planStep);
  const known = planStep.operation === 'restore' ? lookupId(opts.store.state.idMap, planStep.kind, planStep.sourceId)?.id : undefined;
  if (planStep.kind === 'project' && planStep.sourceId === opts.plan.source.project.id) {
    // found or created by openTargetProject before the first wave
    return { outcome: opts.store.state.projectCreated ? 'created' : planStep.action === 'skip' ? 'skipped' : 'reused', targetId: ctx.projectId };
  }
  switch (planStep.action) {
    case 'map': {
      if (known !== undefined || planStep.operation !== 'restore') return { outcome: 'mapped', ...(known ? { targetId: known } : {}) };
      // a mapping by name the planner could not check (a member cannot list roles or users): look it up now
      const found = restorer && isKindRestorer(restorer) ? await restorer.findExisting(ctx, step).catch(() => undefined) : undefined;
      if (found !== undefined) return { outcome: 'mapped', targetId: found };
      if (IDENTITY_KINDS.has(planStep.kind)) {
        throw new NotRestorableError(`${planStep.kind} ${planStep.name} is mapped by name to "${planStep.targetName ?? planStep.name}", but this user cannot look up its ID (that needs the admin role): the identity changes that need it are skipped`);
      }
      throw new Error(`${planStep.kind} ${planStep.name}: the plan maps it but names no target ID; edit the mapping in the plan`);
    }
    case 'reuse':
    case 'skip': {
      if (known !== undefined || planStep.operation !== 'restore') return { outcome: planStep.action === 'reuse' ? 'reused' : 'skipped', ...(known ? { targetId: known } : {}) };
      // reuse without an ID: the target's own instance (its "default" security group) is looked up now
      if (planStep.action === 'reuse' && restorer) {
        const found = await restorer.findExisting(ctx, step);
        if (found) return { outcome: 'reused', targetId: found };
        throw new Error(`${planStep.kind} ${planStep.name} should be reused, but the target has none`);
      }
      return { outcome: 'skipped' };
    }
    case 'update': {
      if (!restorer || !isKindRestorer(restorer) || !restorer.update) throw new Error(`a ${planStep.kind} cannot be overwritten in place (${planStep.update ?? 'update'}): set the step's action to "skip"`);
      const targetId = known ?? planStep.targetId;
      if (!targetId) throw new Error(`${planStep.kind} ${planStep.name}: update without a target ID`);
      const made = await restorer.update(ctx, step, targetId);
      return { outcome: 'updated', targetId: made.id, ...(made.changed ? { changed: made.changed } : {}) };
    }
    case 'create': {
      if (!restorer) throw new Error(`permafrost cannot restore a ${planStep.kind}${planStep.operation !== 'restore' ? ` ${planStep.operation}` : ''} yet: leave it out (--only) or set the step to "skip" in the plan`);
      const existing = await restorer.findExisting(ctx, step);
      if (existing !== undefined) return { outcome: wasStarted ? 'already-done' : 'adopted', targetId: existing, created: wasStarted };
      const made = isKindRestorer(restorer) ? await restorer.create(ctx, step) : await restorer.apply(ctx, step);
      return { outcome: planStep.operation === 'restore' ? 'created' : 'linked', targetId: made.id, created: true, ...(made.changed ? { changed: made.changed } : {}) };
    }
  }
}

/** States that would block other steps (shutoff, paused, locked, protected) go back on last. */
async function finishSteps(opts: ApplyOptions, run: RunContext): Promise<void> {
  const { plan, store, reporter } = opts;
  for (const wave of plan.waves) {
    for (const stepId of wave) {
      const step = plan.steps[stepId]!;
      const st = store.step(stepId);
      if (st.status !== 'done' || st.finished || !st.targetId || !(st.created || step.action === 'update')) continue;
      const restorer = restorerFor(opts.modules, step);
      if (!restorer || !isKindRestorer(restorer) || !restorer.finish) continue;
      const notes: string[] = [];
      const ctx = contextForStep(run, stepId, run.records.get(recordKey(step.kind, step.sourceId)), notes);
      try {
        await restorer.finish(ctx, toRestoreStep(step), st.targetId);
        await store.update(() => (st.finished = true));
        reporter.emit({ event: 'finish', stepId });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await store.update(() => (st.notes = [...(st.notes ?? []), `state not restored: ${message}`]));
        reporter.emit({ event: 'finish', stepId, error: message });
      }
    }
  }
}

export type { Session };
