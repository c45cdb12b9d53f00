// `restore apply` / `--rollback` / `verify` around a plan file: read and check the plan, load
// or start its state file, open the target cloud and the repository, then run the executor,
// the rollback or the fidelity report. The state file sits next to the plan.
import { readFileSync } from 'node:fs';
import type { ServiceModule } from '../../services/module.js';
import { assertPreflight, parsePlan, type Plan } from '../../restore-plans/index.js';
import { ExitCode, PermafrostError } from '../errors.js';
import type { ResourceRecord } from '../model/resource.js';
import type { Session } from '../openstack/types.js';
import type { Repository } from '../repository/types.js';
import type { RestoreReporter } from './events.js';
import { applyPlan, type ApplyResult } from './executor.js';
import { fidelityReport, type FidelityResult } from './fidelity-report.js';
import { rollbackRestore } from './rollback.js';
import { loadSnapshot } from './snapshot-input.js';
import { newState, readState, statePathFor, StateStore } from './state-file.js';

export function readPlanFile(file: string): Plan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PermafrostError(`cannot read the plan file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, ExitCode.notFound);
  }
  return parsePlan(text, file);
}

/** The state store of a plan: the existing state file, or a new one (repository recorded). */
export function openState(planFile: string, plan: Plan, repository?: string): StateStore {
  const file = statePathFor(planFile);
  const state = readState(file);
  if (state && state.restoreId !== plan.id) {
    throw new PermafrostError(`${file} belongs to restore ${state.restoreId}, but ${planFile} is restore ${plan.id}: move the old state file away (or use a new plan file name)`, ExitCode.config);
  }
  const store = new StateStore(file, state ?? newState(plan.id, repository));
  if (repository && !store.state.repository) store.state.repository = repository;
  return store;
}

export interface ApplyRunOptions {
  plan: Plan;
  store: StateStore;
  session: Session;
  repository: Repository;
  modules: ServiceModule[];
  reporter: RestoreReporter;
  signal: AbortSignal;
  parallelism?: number;
  /** Run the fidelity report after apply (default true) and hash the data the cloud serves (default true). */
  verify?: boolean;
  checkData?: boolean;
  /** Leave the restore markers on the restored resources (default: removed when every step is done). */
  keepMarkers?: boolean;
}

export interface ApplyRunResult {
  apply: ApplyResult;
  fidelity?: FidelityResult;
  exitCode: number;
}

async function snapshotRecords(repository: Repository, plan: Plan): Promise<ResourceRecord[]> {
  return (await loadSnapshot(repository, plan.snapshot.id)).input.resources;
}

export async function runApply(opts: ApplyRunOptions): Promise<ApplyRunResult> {
  assertPreflight(opts.plan);
  const records = await snapshotRecords(opts.repository, opts.plan);
  const apply = await applyPlan({ ...opts, records });
  let fidelity: FidelityResult | undefined;
  if (opts.verify !== false && !opts.signal.aborted) {
    const session = opts.session.project?.id === apply.projectId ? opts.session : await opts.session.scopedTo({ id: apply.projectId });
    fidelity = await fidelityReport({ plan: opts.plan, state: opts.store.state, session, projectId: apply.projectId, records, modules: opts.modules, checkData: opts.checkData !== false, signal: opts.signal });
  }
  const partial = apply.failed.length > 0 || apply.blocked.length > 0 || (fidelity !== undefined && (fidelity.different > 0 || fidelity.missing > 0 || fidelity.data.different > 0));
  return { apply, ...(fidelity ? { fidelity } : {}), exitCode: opts.signal.aborted ? ExitCode.interrupted : partial ? ExitCode.partial : ExitCode.ok };
}

export async function runRollback(opts: Omit<ApplyRunOptions, 'verify' | 'checkData' | 'parallelism' | 'keepMarkers'>): Promise<{ deleted: number; failed: number; exitCode: number }> {
  const records = await snapshotRecords(opts.repository, opts.plan);
  const result = await rollbackRestore({ ...opts, records });
  return { ...result, exitCode: result.failed > 0 ? ExitCode.partial : ExitCode.ok };
}

export async function runVerify(opts: { plan: Plan; store: StateStore; session: Session; repository: Repository; modules: ServiceModule[]; signal: AbortSignal; checkData?: boolean }): Promise<{ fidelity: FidelityResult; exitCode: number }> {
  const projectId = opts.store.state.targetProjectId;
  if (!projectId) throw new PermafrostError('this plan was not applied yet (its state file names no target project): run "permafrost restore apply" first', ExitCode.usage);
  const records = await snapshotRecords(opts.repository, opts.plan);
  const session = opts.session.project?.id === projectId ? opts.session : await opts.session.scopedTo({ id: projectId });
  const fidelity = await fidelityReport({ plan: opts.plan, state: opts.store.state, session, projectId, records, modules: opts.modules, checkData: opts.checkData !== false, signal: opts.signal });
  const bad = fidelity.different > 0 || fidelity.missing > 0 || fidelity.data.different > 0;
  return { fidelity, exitCode: bad ? ExitCode.partial : ExitCode.ok };
}
