// `restore plan`: snapshot manifest + facts gathered from the target → the plan (pure planner).
import type { ServiceModule } from '../../services/module.js';
import { buildPlan, type MappingRules, type Plan, type RestoreMode, type OverwritePolicy } from '../../restore-plans/index.js';
import { ExitCode, PermafrostError } from '../errors.js';
import type { Session } from '../openstack/types.js';
import type { Repository } from '../repository/types.js';
import { loadSnapshot } from './snapshot-input.js';
import { gatherTargetFacts } from './target-facts.js';

export interface PlanRestoreOptions {
  repository: Repository;
  snapshot: string;
  /** Session on the target cloud. */
  session: Session;
  /** Target project name (default: the snapshot's project in in-place mode, else the session's). */
  project?: string;
  createProject?: boolean;
  mappings?: MappingRules;
  only?: string[];
  mode?: RestoreMode;
  overwrite?: OverwritePolicy;
  modules: ServiceModule[];
}

export async function planRestore(opts: PlanRestoreOptions): Promise<Plan> {
  const { input } = await loadSnapshot(opts.repository, opts.snapshot);
  const mode = opts.mode ?? 'create';
  const projectName = opts.project ?? (mode === 'in-place' ? input.source.project.name : opts.session.project?.name);
  const { facts } = await gatherTargetFacts(opts.session, { ...(projectName ? { projectName } : {}), modules: opts.modules });
  if (!facts.project.exists && !opts.createProject) {
    throw new PermafrostError(`the target project ${facts.project.name} does not exist in ${facts.cloud}: add --create-project (admin) to have the restore create it, or name an existing one with --project`, ExitCode.notFound);
  }
  return buildPlan(input, facts, {
    mode,
    overwrite: opts.overwrite ?? 'skip',
    targetProject: facts.project.name,
    mappings: opts.mappings ?? {},
    only: opts.only ?? [],
    createdAt: new Date().toISOString(),
  });
}
