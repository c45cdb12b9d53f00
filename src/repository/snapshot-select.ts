// Which snapshots a `snapshots` or `forget` command works on (filters), and how `forget` groups
// them before applying a retention policy (pure logic). A project snapshot belongs to its
// project: by default it is grouped by cloud + project ID, so one project's policy never counts
// another project's snapshots, and a project that gains a volume stays in its group.
import { UsageError } from '../errors.js';
import { carriesTag } from './forget-policy.js';
import type { SnapshotInfo } from './types.js';

export interface SnapshotFilter {
  /** Project ID or name (tags projectId / projectName); repeatable, any matches. */
  projects?: string[];
  /** KEY=VALUE or KEY (present with any value); repeatable, all must match. */
  tags?: string[];
  hosts?: string[];
  types?: string[];
}

/** The default --group-by: project snapshots by project, every other type as before. */
export const DEFAULT_GROUP_BY = 'auto';
const PROJECT_GROUP = 'type,cloud,project';
const OTHER_GROUP = 'type,host,streams';
export const GROUP_FIELDS = ['type', 'host', 'streams', 'project', 'cloud', 'tag:NAME'];

export function matchesFilter(s: SnapshotInfo, f: SnapshotFilter): boolean {
  if (f.types?.length && !f.types.includes(s.type)) return false;
  if (f.hosts?.length && !f.hosts.includes(s.hostname)) return false;
  if (f.projects?.length && !f.projects.some((p) => s.tags.projectId === p || s.tags.projectName === p)) return false;
  if (f.tags?.length && !f.tags.every((t) => carriesTag(s, t))) return false;
  return true;
}

export function filterSnapshots(list: SnapshotInfo[], f: SnapshotFilter): SnapshotInfo[] {
  for (const t of f.tags ?? []) if (t.startsWith('=') || t === '') throw new UsageError(`--tag "${t}": expected KEY or KEY=VALUE`);
  return list.filter((s) => matchesFilter(s, f));
}

/** The project a snapshot belongs to (cloud + project ID), or undefined for other snapshots. */
export function projectOf(s: SnapshotInfo): string | undefined {
  if (s.tags.projectId === undefined) return undefined;
  return `${s.tags.cloud ?? ''}/${s.tags.projectId}`;
}

function fieldValue(s: SnapshotInfo, field: string): string {
  if (field === 'type') return `type=${s.type}`;
  if (field === 'host') return `host=${s.hostname}`;
  if (field === 'streams') return `streams=${[...s.streams].sort().join('+')}`;
  if (field === 'project') return `project=${s.tags.projectId ?? ''}${s.tags.projectName ? ` (${s.tags.projectName})` : ''}`;
  if (field === 'cloud') return `cloud=${s.tags.cloud ?? ''}`;
  if (field.startsWith('tag:') && field.length > 4) return `${field}=${s.tags[field.slice(4)] ?? ''}`;
  throw new UsageError(`--group-by: unknown field "${field}" (use ${GROUP_FIELDS.join(', ')}, or auto)`);
}

/** The fields a snapshot is grouped by: `auto` picks per snapshot type. */
export function groupFields(s: SnapshotInfo, groupBy: string): string[] {
  const spec = groupBy.trim() === DEFAULT_GROUP_BY ? (s.tags.projectId !== undefined ? PROJECT_GROUP : OTHER_GROUP) : groupBy;
  return spec.split(',').map((f) => f.trim()).filter(Boolean);
}

export function groupKey(s: SnapshotInfo, groupBy: string): string {
  return groupFields(s, groupBy).map((f) => fieldValue(s, f)).join(' ');
}

/** Validates a --group-by value before any snapshot is read. */
export function checkGroupBy(groupBy: string): void {
  if (groupBy.trim() === DEFAULT_GROUP_BY) return;
  const fields = groupBy.split(',').map((f) => f.trim()).filter(Boolean);
  if (fields.length === 0) throw new UsageError('--group-by needs at least one field (or auto)');
  const probe = { id: '', time: '', type: '', hostname: '', tags: {}, streams: [] } as unknown as SnapshotInfo;
  for (const f of fields) fieldValue(probe, f);
}

export function groupSnapshots(list: SnapshotInfo[], groupBy: string): Map<string, SnapshotInfo[]> {
  checkGroupBy(groupBy);
  const groups = new Map<string, SnapshotInfo[]>();
  for (const s of list) {
    const k = groupKey(s, groupBy);
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(s);
  }
  return groups;
}
