// The sweeper: finds every permafrost temporary (snapshot, volume, image) left in a project by a
// run that no longer exists — killed with SIGKILL, a lost host, a power cut — and deletes them in
// dependency order. `permafrost cleanup` runs it, and so does the start of every backup.
import type { Session } from '../openstack/types.js';
import type { TemporaryKind, TemporaryResource } from '../../services/data-export.js';
import { versionedPath } from '../../services/common/api-path.js';
import { BackupTemporaries, type ReleaseFailure } from './temporaries.js';
import { backupIdOfName, ownerIsAlive } from './temporary-naming.js';
import { runIsAlive } from './run-registry.js';

export interface FoundTemporary extends TemporaryResource {
  backupId: string;
  status?: string;
  meta?: Record<string, unknown>;
}

export interface SweepResult {
  deleted: FoundTemporary[];
  /** Temporaries of runs that are still alive on this host (left alone). */
  inUse: FoundTemporary[];
  failures: ReleaseFailure[];
}

/** Lists the permafrost temporaries of the session's project. */
export async function findTemporaries(session: Session, projectId: string): Promise<FoundTemporary[]> {
  const found: FoundTemporary[] = [];
  if (session.hasService('image')) {
    const glance = await session.client('image');
    for await (const img of glance.paginate<Record<string, unknown>>({
      path: versionedPath(glance, '/v2', '/images'),
      searchParams: { owner: projectId },
      itemsKey: 'images',
      style: 'glance',
    })) {
      add(found, 'image', img, img);
    }
  }
  if (session.hasService('volumev3')) {
    const cinder = await session.client('volumev3');
    for await (const vol of cinder.paginate<Record<string, unknown>>({ path: '/volumes/detail', itemsKey: 'volumes' })) {
      add(found, 'volume', vol, vol.metadata as Record<string, unknown> | undefined);
    }
    for await (const snap of cinder.paginate<Record<string, unknown>>({ path: '/snapshots/detail', itemsKey: 'snapshots' })) {
      add(found, 'volume_snapshot', snap, snap.metadata as Record<string, unknown> | undefined);
    }
  }
  // a listing can page over a resource twice while others are created; keep one of each
  const seen = new Set<string>();
  return found.filter((t) => {
    const key = `${t.kind}:${t.id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function add(out: FoundTemporary[], kind: TemporaryKind, item: Record<string, unknown>, meta: Record<string, unknown> | undefined): void {
  const name = typeof item.name === 'string' ? item.name : '';
  const backupId = backupIdOfName(name);
  if (!backupId) return;
  out.push({ kind, id: String(item.id), name, backupId, status: item.status as string | undefined, meta });
}

export interface SweepOptions {
  settleMs?: number;
  maxRounds?: number;
  /** Whether a backup ID is running on this host (default: the local run registry). */
  isRunning?: (backupId: string) => boolean | undefined;
  /**
   * The backup IDs whose run lock in the repository has a fresh heartbeat, on any host. Without
   * it, only runs of this host are seen: every other run's temporaries count as leftovers.
   */
  liveRuns?: () => Promise<Set<string>>;
}

/**
 * Deletes the leftovers of dead runs. Liveness is decided per backup ID: a fresh heartbeat of its
 * run lock in the repository (any host: the run lock is the source of truth), or this host's run
 * registry, or the owner metadata of one of its temporaries naming a live process of this host.
 * The host name only ever makes a run alive, never dead.
 */
export async function sweepTemporaries(session: Session, projectId: string, opts: SweepOptions = {}): Promise<SweepResult> {
  const total: SweepResult = { deleted: [], inUse: [], failures: [] };
  const maxRounds = opts.maxRounds ?? 5;
  for (let round = 1; round <= maxRounds; round++) {
    const live = (await opts.liveRuns?.()) ?? new Set<string>();
    const res = await sweepOnce(session, projectId, runLiveness(live, opts.isRunning ?? ((id) => runIsAlive(id))));
    total.deleted.push(...res.deleted);
    total.inUse = res.inUse;
    total.failures = res.failures;
    // A crashed run's last create requests may still land (the cloud accepted them, the answer
    // never arrived): once something was deleted, look again after a pause until nothing is new.
    if (res.deleted.length === 0 || res.failures.length > 0 || !opts.settleMs) break;
    await new Promise((r) => setTimeout(r, opts.settleMs));
  }
  return total;
}

async function sweepOnce(session: Session, projectId: string, isRunning: (backupId: string) => boolean | undefined): Promise<SweepResult> {
  const found = await findTemporaries(session, projectId);
  const alive = aliveBackups(found, isRunning);
  const inUse = found.filter((t) => alive.has(t.backupId));
  const leftovers = found.filter((t) => !alive.has(t.backupId));
  const tracker = new BackupTemporaries(session, 'sweep');
  for (const t of leftovers) tracker.track({ kind: t.kind, id: t.id, name: t.name });
  const failures = await tracker.releaseAll();
  const failed = new Set(failures.map((f) => `${f.resource.kind}:${f.resource.id}`));
  return { deleted: leftovers.filter((t) => !failed.has(`${t.kind}:${t.id}`)), inUse, failures };
}

/** A run is alive when its run lock has a fresh heartbeat; else this host's registry decides. */
export function runLiveness(liveRuns: Set<string>, registry: (backupId: string) => boolean | undefined): (backupId: string) => boolean | undefined {
  return (id) => (liveRuns.has(id) ? true : registry(id));
}

/** The backup IDs among `found` whose run is alive (registry first, then owner metadata). */
export function aliveBackups(found: FoundTemporary[], isRunning: (backupId: string) => boolean | undefined): Set<string> {
  const alive = new Set<string>();
  const known = new Map<string, boolean | undefined>();
  for (const t of found) {
    if (!known.has(t.backupId)) known.set(t.backupId, isRunning(t.backupId));
    const registered = known.get(t.backupId);
    if (registered === true || (registered === undefined && ownerIsAlive(t.meta))) alive.add(t.backupId);
  }
  return alive;
}
