// Runs every selected service module against one project, with bounded parallelism, and
// gathers records, per-kind counts, skipped kinds (permissions, absent services) and failed
// kinds (anything else: the run is then "partial").
import type { ResourceRecord, SkippedKind } from '../model/resource.js';
import type { ServiceModule } from '../../services/module.js';
import { mapLimit } from '../../services/common/limit.js';
import { errorMessage } from '../../services/common/http-status.js';
import { countByKind, sortResources } from './counts.js';
import type { ProjectTarget, ProjectAccess } from './resolve-project.js';

export interface ProjectInventory {
  project: ProjectTarget['project'] & { access: ProjectAccess };
  resources: ResourceRecord[];
  counts: Record<string, number>;
  skipped: SkippedKind[];
  failed: SkippedKind[];
}

export interface RunOptions {
  pageSize?: number;
  /** Service modules listed at the same time (default 3; each module parallelises inside too). */
  parallelism?: number;
  signal?: AbortSignal;
}

/** A kind with no records that was skipped or failed: it was not read, so no count (not even 0). */
function wholeKindMissing(kind: string, skipped: SkippedKind[], failed: SkippedKind[], resources: ResourceRecord[]): boolean {
  return !resources.some((r) => r.kind === kind) && [...skipped, ...failed].some((s) => s.kind === kind);
}

export async function inventoryProject(target: ProjectTarget, modules: ServiceModule[], opts: RunOptions = {}): Promise<ProjectInventory> {
  const resources: ResourceRecord[] = [];
  const skipped: SkippedKind[] = [];
  const failed: SkippedKind[] = [];
  await mapLimit(modules, opts.parallelism ?? 3, async (module) => {
    const missing = module.serviceTypes.filter((t) => !target.session.hasService(t));
    if (missing.length > 0) {
      for (const kind of module.kinds) skipped.push({ kind, reason: `service ${missing.join(', ')} is not in the catalog of this cloud/region` });
      return;
    }
    try {
      const result = await module.inventory({ session: target.session, projectId: target.project.id, pageSize: opts.pageSize, signal: opts.signal });
      resources.push(...result.resources);
      skipped.push(...result.skipped);
      failed.push(...(result.failed ?? []));
    } catch (err) {
      // The module could not start (endpoint unreachable, microversion too old): all its kinds failed.
      for (const kind of module.kinds) failed.push({ kind, reason: `${module.name}: ${errorMessage(err)}` });
    }
  });
  const sorted = sortResources(resources);
  return {
    project: { ...target.project, access: target.access },
    resources: sorted,
    // Kinds that were listed (even if empty) count; kinds not read at all only appear in skipped/failed.
    counts: countByKind(sorted, modules.flatMap((m) => m.kinds).filter((k) => !wholeKindMissing(k, skipped, failed, sorted))),
    skipped,
    failed,
  };
}
