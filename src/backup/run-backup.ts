// A whole `permafrost backup` run: every target project in turn (one snapshot each), with
// SIGINT/SIGTERM turned into a clean stop (temporaries deleted, no snapshot written). One
// project failing does not stop the next; the outcome says which exit code the run earns.
import type { ServiceModule } from '../../services/module.js';
import type { ExportOptions } from '../../services/data-export.js';
import type { Session } from '../openstack/types.js';
import type { Repository, SnapshotStats } from '../repository/types.js';
import { ExitCode, PermafrostError, type ExitCodeValue } from '../errors.js';
import type { BackupReporter } from './events.js';
import type { ExcludeRule } from './exclude.js';
import { backupProject, type BackupTarget } from './project-backup.js';
import { summarise, type FailureLine, type ServiceSummary } from './summary.js';
import { resolveProject } from '../inventory/resolve-project.js';

export interface ProjectOutcome {
  project: BackupTarget;
  status: 'ok' | 'partial' | 'failed';
  snapshot?: string;
  backupId?: string;
  crossProject?: string;
  stats?: SnapshotStats;
  services: ServiceSummary[];
  failures: FailureLine[];
  skippedKinds: Array<{ kind: string; reason: string }>;
  temporariesLeft: number;
  error?: string;
}

export interface BackupRunOptions {
  base: Session;
  /** Projects by ID or name; undefined = the session's own project. */
  targets: Array<string | undefined>;
  repository: Repository;
  modules: ServiceModule[];
  selected?: string[];
  excludes: ExcludeRule[];
  userTags: Record<string, string>;
  reporter: BackupReporter;
  signal: AbortSignal;
  /** Opt-in parts of the backup (`--snapshot-data`). */
  exportOptions?: ExportOptions;
  /** The time recorded in the snapshots instead of now (`--time`). */
  snapshotTime?: string;
}

export interface BackupRunResult {
  projects: ProjectOutcome[];
  exitCode: ExitCodeValue;
}

export async function runBackup(opts: BackupRunOptions): Promise<BackupRunResult> {
  const projects: ProjectOutcome[] = [];
  for (const wanted of opts.targets) {
    if (opts.signal.aborted) break;
    let owned: Session | undefined;
    let target: BackupTarget = { id: wanted ?? opts.base.project?.id ?? '?', name: wanted ?? opts.base.project?.name ?? '?' };
    try {
      const resolved = await resolveProject(opts.base, wanted);
      if (resolved.ownsSession) owned = resolved.session;
      target = resolved.project;
      const crossProject =
        resolved.access === 'cross-project'
          ? `the admin has no role on project ${target.name}: read with the admin's token (Swift may refuse; temporaries live in the admin's project)`
          : undefined;
      const res = await backupProject({
        session: resolved.session,
        project: target,
        repository: opts.repository,
        modules: opts.modules,
        selected: opts.selected,
        excludes: opts.excludes,
        userTags: opts.userTags,
        reporter: opts.reporter,
        signal: opts.signal,
        ...(opts.exportOptions ? { exportOptions: opts.exportOptions } : {}),
        ...(opts.snapshotTime ? { snapshotTime: opts.snapshotTime } : {}),
      });
      const { services, failures } = summarise(res.manifest, opts.modules);
      const status = failures.length > 0 || res.temporariesLeft > 0 ? 'partial' : 'ok';
      projects.push({
        project: target,
        status,
        snapshot: res.snapshot.id,
        backupId: res.backupId,
        ...(crossProject ? { crossProject } : {}),
        stats: res.snapshot.stats,
        services,
        failures,
        skippedKinds: res.manifest.skippedKinds,
        temporariesLeft: res.temporariesLeft,
      });
      opts.reporter.emit({ event: 'project-done', projectId: target.id, projectName: target.name, snapshot: res.snapshot.id, status, stats: res.snapshot.stats });
    } catch (err) {
      if (err instanceof PermafrostError && err.exitCode === ExitCode.interrupted) throw err;
      // a repository that cannot be written stops everything: the next project would fail too
      if (err instanceof PermafrostError && (err.exitCode === ExitCode.repository || err.exitCode === ExitCode.noSpace)) throw err;
      const message = err instanceof Error ? err.message : String(err);
      projects.push({ project: target, status: 'failed', services: [], failures: [], skippedKinds: [], temporariesLeft: 0, error: message });
      opts.reporter.emit({ event: 'project-done', projectId: target.id, projectName: target.name, status: 'failed', error: message });
      if (opts.targets.length === 1) throw err;
    } finally {
      await owned?.close();
    }
  }
  if (opts.signal.aborted) {
    throw new PermafrostError('backup interrupted by a signal; temporary resources were deleted and no snapshot was written for the project in progress', ExitCode.interrupted);
  }
  const exitCode = projects.some((p) => p.status !== 'ok') ? ExitCode.partial : ExitCode.ok;
  return { projects, exitCode };
}
