// One run of a schedule, in the process that runs it (a queue worker, or `schedule exec` started
// by systemd/cron): back up the schedule's projects, then apply its retention to them. The
// repository password and cloud credentials come from this process's environment and clouds.yaml.
import { ExitCode, PermafrostError, type ExitCodeValue } from '../errors.js';
import { openRepository, resolvePassword } from '../repository/index.js';
import { sessionFromOptions } from '../openstack/connect.js';
import { selectServiceModules } from '../../services/registry.js';
import { listAllProjects } from '../inventory/resolve-project.js';
import { runBackup } from '../backup/run-backup.js';
import type { BackupReporter } from '../backup/events.js';
import { applyRetention, type RetentionResult } from './retention.js';
import type { ScheduleSpec } from './spec.js';

export type RunSpec = Pick<ScheduleSpec, 'name' | 'cloud' | 'repo' | 'projects' | 'allProjects' | 'services' | 'retention' | 'prune'>;

export interface RunOutcome {
  status: 'ok' | 'partial' | 'failed';
  exitCode: ExitCodeValue;
  /** Why the run failed or was partial, in one line. */
  reason?: string;
  projects: Array<{ id: string; name: string; status: string; snapshot?: string; error?: string }>;
  retention?: RetentionResult;
  /** Why retention did not run or failed (the backup itself may still be fine). */
  retentionError?: string;
}

async function repositoryPassword(): Promise<string> {
  const password = await resolvePassword({});
  if (password === undefined) {
    throw new PermafrostError('no repository password in this process: set PERMAFROST_PASSWORD_FILE (or PERMAFROST_PASSWORD) in the environment of the worker or service; schedules never store it', ExitCode.repository);
  }
  return password;
}

function failed(err: unknown): RunOutcome {
  const reason = err instanceof Error ? err.message : String(err);
  const exitCode = err instanceof PermafrostError ? err.exitCode : ExitCode.internal;
  return { status: 'failed', exitCode, reason, projects: [] };
}

/** Runs the schedule once; never throws for a failure of the run itself (the outcome says it). */
export async function runScheduledBackup(spec: RunSpec, opts: { reporter: BackupReporter; signal: AbortSignal }): Promise<RunOutcome> {
  let session;
  try {
    const modules = await selectServiceModules(spec.services);
    const password = await repositoryPassword();
    session = await sessionFromOptions(spec.cloud);
    const targets = spec.allProjects ? (await listAllProjects(session)).map((p) => p.id) : spec.projects.length > 0 ? spec.projects : [undefined];
    const repository = await openRepository(spec.repo, { password });
    try {
      const result = await runBackup({ base: session, targets, repository, modules, excludes: [], userTags: { schedule: spec.name }, reporter: opts.reporter, signal: opts.signal });
      const projects = result.projects.map((p) => ({ id: p.project.id, name: p.project.name, status: p.status, ...(p.snapshot ? { snapshot: p.snapshot } : {}), ...(p.error ? { error: p.error } : {}) }));
      const backedUp = result.projects.filter((p) => p.snapshot !== undefined).map((p) => p.project.id);
      const notOk = projects.filter((p) => p.status !== 'ok');
      const outcome: RunOutcome = {
        status: result.exitCode === ExitCode.ok ? 'ok' : 'partial',
        exitCode: result.exitCode,
        ...(notOk.length > 0 ? { reason: notOk.map((p) => `${p.name}: ${p.status}${p.error ? ` (${p.error})` : ''}`).join('; ') } : {}),
        projects,
      };
      try {
        outcome.retention = await applyRetention(repository, backedUp, spec.retention, { prune: spec.prune, signal: opts.signal });
      } catch (err) {
        outcome.retentionError = err instanceof Error ? err.message : String(err);
        outcome.status = 'partial';
        outcome.exitCode = err instanceof PermafrostError ? err.exitCode : ExitCode.partial;
        outcome.reason = [outcome.reason, `retention: ${outcome.retentionError}`].filter(Boolean).join('; ');
      }
      return outcome;
    } finally {
      await repository.close();
    }
  } catch (err) {
    return failed(err);
  } finally {
    await session?.close();
  }
}
