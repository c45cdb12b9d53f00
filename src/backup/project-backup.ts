// Backs up one project into one repository snapshot:
//   register the run on this host → sweep leftovers → inventory (every selected service) → exclusions → capture (all snapshots
//   and createImage calls of the project together, bounded) → transfers (disks and objects in
//   two lanes) → delete temporaries → manifest → commit.
// A resource that fails is recorded as failed with its cause and the others go on; only an
// interruption (SIGINT/SIGTERM) or a repository failure aborts the snapshot.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ServiceModule } from '../../services/module.js';
import { ResourceGoneError, type DataExportContext, type DataExportJob, type ExportOptions } from '../../services/data-export.js';
import { mapLimit } from '../../services/common/limit.js';
import type { ResourceRecord, SkippedKind } from '../model/resource.js';
import type { Session } from '../openstack/types.js';
import type { Repository, SnapshotInfo } from '../repository/types.js';
import { ExitCode, PermafrostError } from '../errors.js';
import type { BackupReporter } from './events.js';
import { excludedBy, type ExcludeRule } from './exclude.js';
import { MANIFEST_DOCUMENT, MANIFEST_FORMAT, type BackupManifest, type ServiceOutcome } from './manifest.js';
import { MeteredStream } from './metered-stream.js';
import { findParentSnapshot, PROJECT_SNAPSHOT_TYPE } from './parent.js';
import { kindCountsTag } from './tags.js';
import { BackupTemporaries } from './temporaries.js';
import { TEMPORARY_PREFIX, newBackupId } from './temporary-naming.js';
import { sweepTemporaries } from './sweep.js';
import { registerRun } from './run-registry.js';
import { detectOptionalNetworkServices } from './optional-services.js';

export interface BackupTarget {
  id: string;
  name: string;
  domainId?: string;
}

export interface ProjectBackupOptions {
  /**
   * Session used for every call. Normally scoped to `project`; an admin without a role on the
   * project uses its own project's token with cross-project filters instead (temporaries are
   * then created, and swept, in the admin's own project).
   */
  session: Session;
  project: BackupTarget;
  repository: Repository;
  /** Every loaded service module; `selected` limits which ones run. */
  modules: ServiceModule[];
  selected?: string[];
  excludes?: ExcludeRule[];
  userTags?: Record<string, string>;
  reporter: BackupReporter;
  signal: AbortSignal;
  /** How many snapshots / createImage calls are started at once (default 4). */
  captureParallelism?: number;
  /** Concurrent disk transfers (default 2) and object transfers (default 4). */
  diskParallelism?: number;
  smallParallelism?: number;
  /** Opt-in parts of the backup (`--snapshot-data`). */
  exportOptions?: ExportOptions;
  /** The time recorded in the snapshot instead of now (`--time`). */
  snapshotTime?: string;
}

export interface ProjectBackupResult {
  backupId: string;
  snapshot: SnapshotInfo;
  manifest: BackupManifest;
  /** Temporaries that could not be deleted (also reported as an event). */
  temporariesLeft: number;
}

export async function backupProject(opts: ProjectBackupOptions): Promise<ProjectBackupResult> {
  if (!opts.session.project) throw new PermafrostError('the session is not scoped to a project; pass --project NAME|ID', ExitCode.usage);
  const backupId = newBackupId();
  // 0. the project's run lock (no two backups of one project overlap, on any host; its heartbeat
  // tells every sweep our temporaries are in use), and this host's run registry
  const lock = await opts.repository.lockRun({ project: `${opts.session.cloudName}/${opts.project.id}`, projectName: opts.project.name, backupId, command: 'backup' });
  const run = registerRun(backupId, { projectId: opts.project.id });
  try {
    return await backupProjectAs(opts, backupId, run.error);
  } finally {
    run.release();
    // a lock that cannot be removed now stops counting once its heartbeat is stale
    await lock.release().catch(() => undefined);
  }
}

async function backupProjectAs(opts: ProjectBackupOptions, backupId: string, registryError: string | undefined): Promise<ProjectBackupResult> {
  const { session, repository: repo, reporter, signal } = opts;
  const project = opts.project;
  const home = session.project!;
  const startedAt = new Date().toISOString();

  // 1. leftovers of crashed runs go first, so they neither pile up nor land in the manifest
  const registry = registryError ? { registryError } : {};
  try {
    const swept = await sweepTemporaries(session, home.id, { liveRuns: () => repo.liveRuns() });
    reporter.emit({ event: 'sweep', projectId: project.id, deleted: swept.deleted.length, inUse: swept.inUse.length, failed: swept.failures.length, ...registry });
  } catch (err) {
    reporter.emit({ event: 'sweep', projectId: project.id, deleted: 0, inUse: 0, failed: 0, error: messageOf(err), ...registry });
  }
  const parent = await findParentSnapshot(repo, project.id);
  reporter.emit({ event: 'project-start', projectId: project.id, projectName: project.name, backupId, ...(parent ? { parent: parent.id } : {}) });

  // 2. inventory
  const services: ServiceOutcome[] = [];
  const resources: ResourceRecord[] = [];
  const skippedKinds: SkippedKind[] = [];
  const failedKinds: SkippedKind[] = [];
  const recordsOf = new Map<ServiceModule, ResourceRecord[]>();
  for (const mod of opts.modules) {
    if (opts.selected && opts.selected.length > 0 && !opts.selected.includes(mod.name)) continue;
    const missing = mod.serviceTypes.filter((t) => !session.hasService(t));
    if (missing.length > 0) {
      services.push({ name: mod.name, status: 'absent', reason: `the cloud has no ${missing.join(', ')} service` });
      continue;
    }
    throwIfAborted(signal);
    try {
      const inv = await mod.inventory({ session, projectId: project.id, signal });
      // our own temporaries (of a run still alive) are not part of the tenant
      const own = inv.resources.filter((r) => !(r.name ?? '').startsWith(TEMPORARY_PREFIX));
      recordsOf.set(mod, own);
      resources.push(...own);
      skippedKinds.push(...inv.skipped);
      failedKinds.push(...(inv.failed ?? []));
      const outcome: ServiceOutcome = { name: mod.name, status: 'ok' };
      if (mod.name === 'networks') outcome.facts = { optionalServices: await detectOptionalNetworkServices(session) };
      services.push(outcome);
    } catch (err) {
      if (signal.aborted) throw interrupted();
      services.push({ name: mod.name, status: 'failed', reason: messageOf(err) });
    }
  }
  const counts: Record<string, number> = {};
  for (const r of resources) counts[r.kind] = (counts[r.kind] ?? 0) + 1;
  reporter.emit({ event: 'inventory', projectId: project.id, counts, skippedKinds: skippedKinds.length, failedKinds: failedKinds.length });

  // 3. exclusions (an excluded container takes its objects with it)
  const excludedContainers = new Map<string, string>();
  for (const r of resources) {
    const rule = excludedBy(r, opts.excludes ?? []);
    if (rule && r.status === 'ok') {
      r.status = 'skipped';
      r.reason = `excluded by --exclude ${rule.kind}:${rule.pattern}`;
      if (r.kind === 'container') excludedContainers.set(r.name, r.reason);
    }
  }
  for (const r of resources) {
    const container = r.kind === 'object' && typeof r.fields.container === 'string' ? r.fields.container : undefined;
    if (container !== undefined && r.status === 'ok' && excludedContainers.has(container)) {
      r.status = 'skipped';
      r.reason = `container ${container} ${excludedContainers.get(container)}`;
    }
  }

  const tags: Record<string, string> = {
    ...(opts.userTags ?? {}),
    projectId: project.id,
    projectName: project.name,
    cloud: session.cloudName,
    ...(session.region ? { region: session.region } : {}),
    backupId,
    kinds: kindCountsTag(counts),
  };
  const writer = await repo.startSnapshot({ type: PROJECT_SNAPSHOT_TYPE, tags, ...(parent ? { parent: parent.id } : {}), ...(opts.snapshotTime ? { time: opts.snapshotTime } : {}) });
  const temporaries = new BackupTemporaries(session, backupId);
  const parentStreams = new Set(parent?.streams ?? []);
  let temporariesLeft = 0;
  try {
    // 4. data: jobs from every module that has the hook
    const current = new Map<string, ResourceRecord>();
    for (const r of resources) current.set(`${r.kind}/${r.id}`, r);
    const ctx: DataExportContext = {
      session,
      projectId: project.id,
      backupId,
      temporaries,
      signal,
      progress: { step: (kind, id, step) => reporter.emit({ event: 'resource-step', kind, id, step }) },
      options: opts.exportOptions ?? {},
      serviceFact: (service, key, value) => {
        let outcome = services.find((s) => s.name === service);
        if (!outcome) {
          outcome = { name: service, status: 'ok' };
          services.push(outcome);
        }
        outcome.facts = { ...(outcome.facts ?? {}), [key]: value };
      },
      writeStream: async (name: string, data: Readable, wopts) => {
        const rec = findRecordOfStream(current, name);
        const meter = new MeteredStream((n) => rec && reporter.bytes(rec.kind, rec.id, n));
        const base = wopts.chunker !== 'fixed' ? undefined : parentStreams.has(name) ? name : wopts.baseStream && parentStreams.has(wopts.baseStream) ? wopts.baseStream : undefined;
        const useParent = base !== undefined;
        const piping = pipeline(data, meter);
        try {
          const [res] = await Promise.all([writer.writeStream(name, meter, { chunker: wopts.chunker, ...(useParent ? { parentStream: base } : {}) }), piping]);
          return { name, size: res.size, sha256: res.sha256, md5: meter.digest() };
        } catch (err) {
          meter.destroy();
          data.destroy();
          piping.catch(() => {});
          throw err;
        }
      },
    };
    const jobs: DataExportJob[] = [];
    for (const [mod, records] of recordsOf) {
      const hook = mod.exportData;
      if (!hook) continue;
      const eligible = records.filter((r) => r.status === 'ok');
      try {
        jobs.push(...(await hook(ctx, eligible)));
      } catch (err) {
        for (const r of eligible) markFailed(r, `data export of service ${mod.name} could not start: ${messageOf(err)}`);
      }
    }

    reporter.emit({ event: 'data-plan', projectId: project.id, jobs: jobs.length, expectedBytes: jobs.reduce((a, j) => a + (j.size ?? 0), 0) });

    // 5. capture: all point-in-time steps of the project together, bounded
    const capturing = jobs.filter((j) => j.capture);
    for (const j of capturing) {
      const rec = current.get(`${j.kind}/${j.id}`);
      reporter.begin(j.kind, j.id, rec?.name ?? j.id, j.size);
    }
    const phases = [...new Set(capturing.map((j) => j.capturePhase ?? 0))].sort((a, b) => a - b);
    for (const phase of phases) {
      await mapLimit(
        capturing.filter((j) => (j.capturePhase ?? 0) === phase),
        opts.captureParallelism ?? 4,
        async (job) => {
          if (signal.aborted) return;
          await job.capture?.();
        },
      );
    }

    // 6. transfers in two lanes
    const runJob = async (job: DataExportJob): Promise<void> => {
      const rec = current.get(`${job.kind}/${job.id}`);
      if (!rec) return;
      if (signal.aborted) {
        markFailed(rec, 'interrupted before its data was read');
        return;
      }
      if (!job.capture) reporter.begin(job.kind, job.id, rec.name, job.size);
      try {
        const result = await job.transfer();
        rec.data = result.data;
        if (result.fields) rec.fields = { ...rec.fields, ...result.fields };
      } catch (err) {
        if (err instanceof ResourceGoneError) {
          rec.status = 'skipped';
          rec.reason = err.message;
        } else markFailed(rec, signal.aborted ? 'interrupted' : messageOf(err));
      }
      reporter.emit({
        event: 'resource-done',
        kind: rec.kind,
        id: rec.id,
        name: rec.name,
        status: rec.status,
        bytes: (rec.data ?? []).reduce((a, d) => a + d.size, 0),
        ...(rec.reason ? { reason: rec.reason } : {}),
      });
    };
    await Promise.all([
      mapLimit(jobs.filter((j) => j.lane === 'disk'), opts.diskParallelism ?? 2, runJob),
      mapLimit(jobs.filter((j) => j.lane === 'small'), opts.smallParallelism ?? 4, runJob),
    ]);
  } finally {
    // 7. temporaries go whatever happened (an interrupted run too)
    const left = await temporaries.releaseAll();
    temporariesLeft = left.length;
    reporter.emit({ event: 'temporaries', projectId: project.id, deleted: 0, left: left.map((l) => ({ kind: l.resource.kind, id: l.resource.id, error: l.error })) });
    if (signal.aborted) await writer.abort().catch(() => {});
  }
  throwIfAborted(signal);

  // 8. manifest last, then commit: a crash before this leaves no half snapshot
  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    backupId,
    startedAt,
    finishedAt: new Date().toISOString(),
    cloud: session.cloudName,
    ...(session.region ? { region: session.region } : {}),
    project: { id: project.id, name: project.name, ...(project.domainId ? { domainId: project.domainId } : {}) },
    actor: { userId: session.userId, roles: session.roles },
    services,
    resources,
    skippedKinds,
    failedKinds,
  };
  try {
    await writer.writeDocument(MANIFEST_DOCUMENT, manifest);
    const snapshot = await writer.commit(tags);
    return { backupId, snapshot, manifest, temporariesLeft };
  } catch (err) {
    await writer.abort().catch(() => {});
    throw err;
  }
}

function markFailed(rec: ResourceRecord, reason: string): void {
  rec.status = 'failed';
  rec.reason = reason;
}

/**
 * `volume/<id>` → the volume record; `object/<c>/<name>` → the object record;
 * `object_version/<c>/<version>/<name>` → the container record.
 */
function findRecordOfStream(records: Map<string, ResourceRecord>, stream: string): ResourceRecord | undefined {
  if (stream.startsWith('object_version/')) {
    const container = stream.slice('object_version/'.length).split('/')[0] ?? '';
    return records.get(`container/${container}`);
  }
  return records.get(stream) ?? undefined;
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw interrupted();
}

function interrupted(): PermafrostError {
  return new PermafrostError('backup interrupted by a signal; temporary resources were deleted and no snapshot was written', ExitCode.interrupted);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
