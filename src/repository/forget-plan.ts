// What `forget` would do (pure logic): the filtered snapshots, grouped, each group decided by the
// retention policy, and the safety net that refuses to remove the last snapshot of a project.
import { PermafrostError, ExitCode } from '../errors.js';
import { applyPolicy, type RetentionPolicy } from './forget-policy.js';
import { filterSnapshots, groupSnapshots, projectOf, type SnapshotFilter } from './snapshot-select.js';
import type { SnapshotInfo } from './types.js';

export interface GroupDecision {
  group: string;
  keep: { snapshot: SnapshotInfo; reasons: string[] }[];
  remove: SnapshotInfo[];
}

export interface ForgetPlan {
  groups: GroupDecision[];
  remove: SnapshotInfo[];
  /** Projects (cloud/projectId) that would have no snapshot left. */
  emptied: string[];
}

export interface ForgetRequest {
  policy: RetentionPolicy;
  filter: SnapshotFilter;
  groupBy: string;
  allowEmpty: boolean;
}

export function planForget(all: SnapshotInfo[], req: ForgetRequest): ForgetPlan {
  const selected = filterSnapshots(all, req.filter);
  const groups = [...groupSnapshots(selected, req.groupBy)].map(([group, list]) => ({ group, ...applyPolicy(list, req.policy) }));
  const remove = groups.flatMap((g) => g.remove);
  const emptied = emptiedProjects(all, new Set(remove.map((s) => s.id)));
  if (emptied.length > 0 && !req.allowEmpty) {
    throw new PermafrostError(
      `this policy would remove the last snapshot of ${emptied.length === 1 ? 'project' : 'projects'} ${emptied.join(', ')}; ` +
        'add a --keep-* rule that keeps one (e.g. --keep-last 1), narrow the selection with --project/--tag, or pass --allow-empty if that is what you want',
      ExitCode.usage,
    );
  }
  return { groups, remove, emptied };
}

/** Projects whose every snapshot (in the whole repository) is in `removed`. */
export function emptiedProjects(all: SnapshotInfo[], removed: Set<string>): string[] {
  const left = new Map<string, number>();
  for (const s of all) {
    const p = projectOf(s);
    if (p === undefined) continue;
    left.set(p, (left.get(p) ?? 0) + (removed.has(s.id) ? 0 : 1));
  }
  return [...left].filter(([, n]) => n === 0).map(([p]) => p).sort();
}

/** The JSON form of a plan (`forget --json`, with or without --dry-run). */
export function planJson(plan: ForgetPlan, dryRun: boolean): Record<string, unknown> {
  return {
    dryRun,
    groups: plan.groups.map((g) => ({
      group: g.group,
      keep: g.keep.map((k) => ({ id: k.snapshot.id, time: k.snapshot.time, reasons: k.reasons })),
      remove: g.remove.map((s) => ({ id: s.id, time: s.time, reasons: ['no rule keeps it'] })),
    })),
    removed: plan.remove.length,
    ...(plan.emptied.length > 0 ? { emptiedProjects: plan.emptied } : {}),
  };
}
