// Deletes one temporary resource for good: waits until the cloud lets it be deleted (a volume
// that is still `creating` or `uploading` cannot be), deletes it, and waits until it is gone, so
// that the next one in the order (image → volume from snapshot → snapshot) is free to go.
import type { ServiceClient, Session } from '../openstack/types.js';
import type { TemporaryResource } from '../../services/data-export.js';
import { waitForStatus } from '../../services/common/wait.js';
import { httpStatusOf, isNotFound } from '../../services/common/http-status.js';
import { versionedPath, seg } from '../../services/common/api-path.js';
import { ExitCode, PermafrostError } from '../errors.js';
import { serverLockKey, withHostLocks } from './run-registry.js';

/** Statuses from which Cinder accepts a delete. */
const VOLUME_DELETABLE = ['available', 'error', 'error_restoring', 'error_extending', 'error_managing'];
const SNAPSHOT_DELETABLE = ['available', 'error'];

export interface DeleteOptions {
  /** Time allowed to wait for a deletable state and then for the delete, ms (default 15 min). */
  timeoutMs?: number;
}

export async function deleteTemporary(session: Session, res: TemporaryResource, opts: DeleteOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 15 * 60_000;
  switch (res.kind) {
    case 'image':
      return deleteImage(session, res.id);
    case 'volume':
      return deleteCinder(session, 'volumes', 'volume', res.id, VOLUME_DELETABLE, timeoutMs);
    case 'volume_snapshot': {
      // Nova deletes the snapshot of an attached volume inside the server (file-based backends):
      // not while this host's other backups snapshot that server or its volumes
      const servers = await serversOfSnapshot(session, res.id);
      return withHostLocks(servers.map(serverLockKey), () => deleteCinder(session, 'snapshots', 'snapshot', res.id, SNAPSHOT_DELETABLE, timeoutMs), { timeoutMs });
    }
  }
}

/** The servers the snapshot's volume is attached to (none when unknown). */
async function serversOfSnapshot(session: Session, snapshotId: string): Promise<string[]> {
  try {
    const cinder = await session.client('volumev3');
    const snap = (await cinder.request<{ snapshot: { volume_id?: string } }>({ path: `/snapshots/${seg(snapshotId)}` })).body.snapshot;
    if (!snap.volume_id) return [];
    const vol = (await cinder.request<{ volume: { attachments?: Array<{ server_id?: string }> } }>({ path: `/volumes/${seg(snap.volume_id)}` })).body.volume;
    return (vol.attachments ?? []).map((a) => a.server_id).filter((id): id is string => !!id);
  } catch {
    return [];
  }
}

async function deleteImage(session: Session, id: string): Promise<void> {
  const image = await session.client('image');
  try {
    await image.request({ method: 'DELETE', path: versionedPath(image, '/v2', `/images/${seg(id)}`) });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

async function deleteCinder(
  session: Session,
  collection: 'volumes' | 'snapshots',
  key: 'volume' | 'snapshot',
  id: string,
  deletable: string[],
  timeoutMs: number,
): Promise<void> {
  const cinder = await session.client('volumev3');
  const path = `/${collection}/${seg(id)}`;
  const get = async (): Promise<{ status: string } | undefined> => {
    try {
      const res = await cinder.request<Record<string, { status: string }>>({ path });
      return res.body[key];
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const what = `temporary ${key} ${id}`;
  // error_deleting (an earlier delete failed in the back end, e.g. a Nova-assisted delete of the
  // snapshot of an attached volume) ends this wait too: Cinder refuses a plain delete from it, so
  // waiting for a deletable status would only run into the timeout.
  const current = await waitForStatus({ what, get, status: (v) => v.status, target: [...deletable, 'deleting', ERROR_DELETING], failure: [], timeoutMs, untilGone: false }).catch(
    (err: unknown) => {
      if (err instanceof PermafrostError && err.exitCode === ExitCode.notFound) return undefined; // gone meanwhile
      throw err;
    },
  );
  if (current === undefined) return;
  if (current.status === ERROR_DELETING) await resetForRetry(cinder, path, key, id);
  if (current.status !== 'deleting') {
    try {
      await cinder.request({ method: 'DELETE', path });
    } catch (err) {
      if (isNotFound(err)) return;
      // 400/409: the state changed under us (e.g. back to uploading); one more wait, then retry once
      if (httpStatusOf(err) !== 400 && httpStatusOf(err) !== 409) throw err;
      await waitForStatus({ what, get, status: (v) => v.status, target: deletable, failure: [], timeoutMs });
      await cinder.request({ method: 'DELETE', path, okStatus: [202, 404] });
    }
  }
  const gone = (): Promise<unknown> => waitForStatus({ what, get, status: (v) => v.status, target: [], failure: [ERROR_DELETING], timeoutMs, untilGone: true });
  try {
    await gone();
  } catch (err) {
    if ((await get())?.status !== ERROR_DELETING) throw err;
    // The back end failed to delete it; once more (seen: an assisted snapshot delete that raced
    // another backup's snapshot of the same server failed once and succeeded when repeated).
    await resetForRetry(cinder, path, key, id);
    await cinder.request({ method: 'DELETE', path, okStatus: [202, 404] });
    await gone();
  }
}

const ERROR_DELETING = 'error_deleting';

/**
 * Puts a resource stuck in error_deleting back to `error`, from where Cinder accepts a delete. Only
 * an admin may (os-reset_status); anyone else gets a message saying what an admin can do.
 */
async function resetForRetry(cinder: ServiceClient, path: string, key: 'volume' | 'snapshot', id: string): Promise<void> {
  try {
    await cinder.request({ method: 'POST', path: `${path}/action`, json: { 'os-reset_status': { status: 'error' } } });
  } catch (err) {
    const status = httpStatusOf(err);
    if (status !== 401 && status !== 403) throw err;
    const cli = key === 'snapshot' ? 'volume snapshot' : 'volume';
    throw new PermafrostError(
      `temporary ${key} ${id} is in status "${ERROR_DELETING}": Cinder failed to delete it and only an admin can reset it ` +
        `(\`openstack ${cli} set --state error ${id}\`, then \`openstack ${cli} delete ${id}\`, or \`permafrost cleanup\` as an admin)`,
      ExitCode.partial,
    );
  }
}
