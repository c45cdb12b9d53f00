// Finds a snapshot resource's twin in the target project and decides create / reuse / skip /
// update from the mode and the overwrite policy.
import type { ResourceKind } from '../src/model/kinds.js';
import type { ResourceRecord } from '../src/model/resource.js';
import type { ExistingResource } from './planner-input.js';
import type { OverwritePolicy, PlanNote, RestoreMode, StepAction, UpdateStrategy } from './plan-schema.js';
import { naturalKey } from './resource-identity.js';

export interface TargetMatch {
  existing: ExistingResource;
  by: 'id' | 'restore-marker' | 'name';
}

export class ExistingIndex {
  private readonly byId = new Map<string, ExistingResource>();
  private readonly bySource = new Map<string, ExistingResource>();
  private readonly byKey = new Map<string, ExistingResource[]>();

  constructor(existing: readonly ExistingResource[]) {
    for (const item of existing) {
      this.byId.set(`${item.kind}:${item.id}`, item);
      if (item.sourceId) this.bySource.set(`${item.kind}:${item.sourceId}`, item);
      const key = naturalKey(item);
      if (key !== undefined) {
        const list = this.byKey.get(`${item.kind}:${key}`) ?? [];
        list.push(item);
        this.byKey.set(`${item.kind}:${key}`, list);
      }
    }
  }

  get(kind: ResourceKind, id: string): ExistingResource | undefined {
    return this.byId.get(`${kind}:${id}`);
  }

  all(kind: ResourceKind): ExistingResource[] {
    return [...this.byId.values()].filter((item) => item.kind === kind);
  }

  /**
   * The same resource: the very same ID (in place, never deleted), the old ID stamped by an
   * earlier run of a restore, or an unambiguous natural key (name; scoped for objects/rules).
   */
  find(record: ResourceRecord, snapshotKeyCount: (kind: ResourceKind, key: string) => number): TargetMatch | { ambiguous: number } | undefined {
    const sameId = this.byId.get(`${record.kind}:${record.id}`);
    if (sameId) return { existing: sameId, by: 'id' };
    const marked = this.bySource.get(`${record.kind}:${record.id}`);
    if (marked) return { existing: marked, by: 'restore-marker' };
    const key = naturalKey(record);
    if (key === undefined) return undefined;
    const candidates = (this.byKey.get(`${record.kind}:${key}`) ?? []).filter((item) => !item.sourceId || item.sourceId === record.id);
    if (candidates.length === 0) return undefined;
    if (candidates.length > 1 || snapshotKeyCount(record.kind, key) > 1) return { ambiguous: candidates.length };
    return { existing: candidates[0]!, by: 'name' };
  }
}

/** The content hash a kind publishes (Swift etag, Glance md5), to see that a same-named twin holds other bytes. */
function contentHashOf(kind: ResourceKind, fields: Record<string, unknown> | undefined): string | undefined {
  const value = kind === 'object' ? (fields?.hash ?? fields?.etag) : kind === 'image' ? fields?.checksum : undefined;
  return typeof value === 'string' && value !== '' ? value.replace(/"/g, '') : undefined;
}

function contentDiffers(record: ResourceRecord, match: TargetMatch): boolean {
  const mine = contentHashOf(record.kind, record.fields);
  const theirs = contentHashOf(record.kind, match.existing.fields);
  return mine !== undefined && theirs !== undefined && mine !== theirs;
}

function contentNote(record: ResourceRecord, match: TargetMatch): PlanNote {
  return {
    level: 'warning',
    code: 'content-differs',
    message: `the ${record.kind} in the target (${match.existing.id}) has other content than the backup (hash ${contentHashOf(record.kind, match.existing.fields)} instead of ${contentHashOf(record.kind, record.fields)}): it is kept as it is; restore in place with --overwrite to replace it`,
  };
}

/** How `--overwrite` replaces an existing resource of a kind in place; undefined = it cannot. */
const OVERWRITE: Partial<Record<ResourceKind, UpdateStrategy>> = {
  server: 'rebuild',
  volume: 'replace',
  object: 'replace-data',
  image: 'update-fields',
  container: 'update-fields',
  network: 'update-fields',
  subnet: 'update-fields',
  subnet_pool: 'update-fields',
  router: 'update-fields',
  port: 'update-fields',
  security_group: 'update-fields',
  floating_ip: 'update-fields',
  qos_policy: 'update-fields',
  project: 'update-fields',
  user: 'update-fields',
  group: 'update-fields',
  volume_snapshot: 'update-fields',
};

export interface ActionDecision {
  action: StepAction;
  targetId?: string;
  update?: UpdateStrategy;
  reason?: string;
  notes: PlanNote[];
}

export function decideAction(
  record: ResourceRecord,
  match: TargetMatch | { ambiguous: number } | undefined,
  mode: RestoreMode,
  overwrite: OverwritePolicy,
): ActionDecision {
  if (match === undefined) return { action: 'create', notes: [] };
  if ('ambiguous' in match) {
    return {
      action: 'create',
      notes: [
        {
          level: 'warning',
          code: 'ambiguous-match',
          message: `${match.ambiguous} ${record.kind}s named "${record.name}" exist in the target (or the name repeats in the snapshot): none is reused, a new one is created`,
        },
      ],
    };
  }
  const found = `exists in the target as ${match.existing.id} (matched by ${match.by})`;
  const kept = contentDiffers(record, match) ? [contentNote(record, match)] : [];
  if (mode === 'create') return { action: 'reuse', targetId: match.existing.id, reason: found, notes: kept };
  if (overwrite === 'skip') return { action: 'skip', targetId: match.existing.id, reason: `${found}; overwrite policy "skip" keeps it`, notes: kept };
  const strategy = OVERWRITE[record.kind];
  if (!strategy) {
    return {
      action: 'skip',
      targetId: match.existing.id,
      reason: found,
      notes: [{ level: 'warning', code: 'not-overwritable', message: `a ${record.kind} cannot be changed in place: the existing one is kept as it is` }],
    };
  }
  const notes: PlanNote[] = [];
  if (strategy === 'rebuild') notes.push({ level: 'warning', code: 'rebuild', message: 'the existing server is rebuilt from its backed-up root disk: everything written to its root disk since the backup is lost' });
  if (strategy === 'replace') notes.push({ level: 'warning', code: 'replace', message: 'the existing volume is replaced by a new one with its backed-up content (new volume ID): its servers are stopped, it is detached, the new volume attached in its place (same device), the servers started again and the old volume deleted; set "update": "reimage" to keep the ID where the volume driver reimages correctly (not NFS and other file-based drivers)' });
  if (record.kind === 'image') notes.push({ level: 'info', code: 'image-immutable', message: 'Glance image data cannot change: only the properties and tags are updated' });
  return { action: 'update', targetId: match.existing.id, update: strategy, reason: `${found}; overwritten (${strategy})`, notes };
}
