// Data export of volumes through the public API only, without ever detaching or stopping
// anything:
//   in-use volume:    snapshot (force) → volume from snapshot → upload-to-image → download
//   available volume: upload-to-image → download (nobody writes to it; skipping the snapshot
//                     and the clone saves two full copies of the disk)
// A forced upload of the attached volume itself is not used: with libvirt, qemu holds a write
// lock on the active file and the upload fails. Every snapshot, volume and image created on the
// way is a tracked temporary, deleted as soon as it has served (and by the sweeper after a
// crash). The bytes land in the stream `volume/<id>` (fixed-size chunks, block-incremental).
//
// With `--snapshot-data` (ctx.options.snapshotData) every volume snapshot of the project is
// exported too: volume from snapshot → upload-to-image → download into `volume_snapshot/<id>`,
// same fixed chunker as the volume (its unchanged blocks are chunks the repository already
// holds; with a parent backup, the volume's stream there is the delta base). A snapshot never
// changes, so it is not a capture step: its jobs only transfer.
import { createOnce, idByName, imageIdByName } from '../common/create-once.js';
import type { ServiceClient } from '../../src/openstack/types.js';
import type { DataStreamRef } from '../../src/model/resource.js';
import { ResourceGoneError, type DataExportContext, type ExportDataHook } from '../data-export.js';
import { waitForStatus } from '../common/wait.js';
import { seg } from '../common/api-path.js';
import { errorMessage, httpStatusOf, isNotFound } from '../common/http-status.js';
import { downloadImageInto, waitImageActive } from '../images/download-image.js';
import { serverLockKey, withHostLocks } from '../../src/backup/run-registry.js';

interface CinderVolume {
  id: string;
  status: string;
  size: number;
  volume_type?: string | null;
  availability_zone?: string;
  metadata?: Record<string, string>;
  attachments?: Array<{ server_id?: string }>;
}

interface CinderSnapshot {
  id: string;
  status: string;
  size: number;
  volume_id?: string;
}

type Capture = { mode: 'snapshot'; snapshotId: string; size: number } | { mode: 'direct'; imageId: string };

export const exportVolumeData: ExportDataHook = async (ctx, records) => {
  const cinder = await ctx.session.client('volumev3');
  const glance = await ctx.session.client('image');
  const snapshotJobs = !ctx.options?.snapshotData
    ? []
    : records
        .filter((r) => r.kind === 'volume_snapshot')
        .map((record) => ({
          kind: 'volume_snapshot' as const,
          id: record.id,
          lane: 'disk' as const,
          size: record.size,
          transfer: () => exportSnapshotData(cinder, glance, record.id, ctx),
        }));
  const volumeJobs = records
    .filter((r) => r.kind === 'volume')
    .map((record) => {
      let captured: Capture | undefined;
      let captureError: Error | undefined;
      return {
        kind: 'volume' as const,
        id: record.id,
        lane: 'disk' as const,
        size: record.size,
        async capture() {
          try {
            captured = await captureVolume(cinder, record.id, ctx);
          } catch (err) {
            captureError = err as Error;
          }
        },
        async transfer() {
          if (captureError) throw captureError;
          if (!captured) throw new Error('internal: volume transfer before capture');
          let imageId: string;
          let cloneId: string | undefined;
          if (captured.mode === 'snapshot') {
            ({ imageId, cloneId } = await cloneAndUpload(cinder, record.id, captured.snapshotId, captured.size, ctx));
          } else {
            imageId = captured.imageId;
          }
          ctx.progress.step('volume', record.id, 'wait for image');
          const image = await waitUploadedImage(glance, imageId, ctx);
          if (captured.mode === 'snapshot' && cloneId) {
            // free the clone and the snapshot before the long download (in this order)
            await ctx.temporaries.release('volume', cloneId);
            await ctx.temporaries.release('volume_snapshot', captured.snapshotId);
          }
          ctx.progress.step('volume', record.id, 'download');
          const ref = await downloadImageInto(glance, image, `volume/${record.id}`, ctx);
          await ctx.temporaries.release('image', imageId);
          return { data: [ref], fields: { dataPath: captured.mode === 'snapshot' ? 'snapshot → clone → upload-to-image' : 'upload-to-image' } };
        },
      };
    });
  // volumes first: their streams exist before the snapshots' (same chunks, found in the index)
  return [...volumeJobs, ...snapshotJobs];
};

/** A volume snapshot's bytes: volume from snapshot → upload-to-image → download. */
async function exportSnapshotData(cinder: ServiceClient, glance: ServiceClient, snapshotId: string, ctx: DataExportContext): Promise<{ data: DataStreamRef[]; fields: Record<string, unknown> }> {
  const snapshot = await getSnapshot(cinder, snapshotId);
  if (!snapshot || snapshot.status === 'deleting') throw new ResourceGoneError(`volume snapshot ${snapshotId}`);
  if (snapshot.status !== 'available') {
    throw new Error(`volume snapshot is in status "${snapshot.status}": its data cannot be read (only available snapshots can be exported)`);
  }
  ctx.progress.step('volume_snapshot', snapshotId, 'volume from snapshot');
  const cloneId = await temporaryVolumeFromSnapshot(cinder, snapshotId, snapshot.size, ctx, {
    name: ctx.temporaries.nameFor(`snapclone-${snapshotId}`),
    description: 'temporary volume of a permafrost backup (snapshot data)',
    what: `from volume snapshot ${snapshotId}`,
  });
  ctx.progress.step('volume_snapshot', snapshotId, 'upload to image');
  const imageId = await uploadToImage(cinder, cloneId, ctx.temporaries.nameFor(`snap-${snapshotId}`), ctx);
  ctx.progress.step('volume_snapshot', snapshotId, 'wait for image');
  const image = await waitUploadedImage(glance, imageId, ctx);
  await ctx.temporaries.release('volume', cloneId);
  ctx.progress.step('volume_snapshot', snapshotId, 'download');
  const base = snapshot.volume_id ? `volume/${snapshot.volume_id}` : undefined;
  const withBase: DataExportContext = base ? { ...ctx, writeStream: (n, data, o) => ctx.writeStream(n, data, { ...o, baseStream: base }) } : ctx;
  const ref = await downloadImageInto(glance, image, `volume_snapshot/${snapshotId}`, withBase);
  await ctx.temporaries.release('image', imageId);
  return { data: [ref], fields: { dataPath: 'volume from snapshot → upload-to-image' } };
}

async function getVolume(cinder: ServiceClient, id: string): Promise<CinderVolume | undefined> {
  try {
    return (await cinder.request<{ volume: CinderVolume }>({ path: `/volumes/${seg(id)}` })).body.volume;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function getSnapshot(cinder: ServiceClient, id: string): Promise<CinderSnapshot | undefined> {
  try {
    return (await cinder.request<{ snapshot: CinderSnapshot }>({ path: `/snapshots/${seg(id)}` })).body.snapshot;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Cinder statuses that pass by themselves (the volume is busy, not broken). */
const VOLUME_TRANSITIONAL = ['creating', 'attaching', 'detaching', 'reserved', 'downloading', 'uploading', 'backing-up', 'restoring-backup', 'extending', 'retyping', 'maintenance'];

/** The volume once it is no longer busy (at most 3 minutes); gone → ResourceGoneError. */
async function settledVolume(cinder: ServiceClient, volumeId: string, ctx: DataExportContext): Promise<CinderVolume> {
  const deadline = Date.now() + 3 * 60_000;
  for (;;) {
    const volume = await getVolume(cinder, volumeId);
    if (!volume || volume.status === 'deleting') throw new ResourceGoneError(`volume ${volumeId}`);
    if (!VOLUME_TRANSITIONAL.includes(volume.status) || Date.now() > deadline || ctx.signal.aborted) return volume;
    ctx.progress.step('volume', volumeId, `wait while ${volume.status}`);
    await new Promise((r) => setTimeout(r, 3000));
  }
}

/** The volume stayed in a transitional status longer than settledVolume waits. */
class VolumeBusyError extends Error {}

/**
 * Cinder's answer when a volume changed status between our look and our request — typically
 * another reader (a second backup of the same project, a user's upload) started an upload of it.
 */
function isStatusRace(err: unknown): boolean {
  return httpStatusOf(err) === 400 && /status must be|must be available|invalid volume/i.test(errorMessage(err));
}

/**
 * The point-in-time step, retried while the volume is busy with someone else's operation (an
 * available volume is uploaded by one reader at a time): at most 20 minutes.
 */
async function captureVolume(cinder: ServiceClient, volumeId: string, ctx: DataExportContext): Promise<Capture> {
  const deadline = Date.now() + 20 * 60_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await captureVolumeOnce(cinder, volumeId, ctx);
    } catch (err) {
      if (!(isStatusRace(err) || err instanceof VolumeBusyError) || Date.now() > deadline || ctx.signal.aborted) throw err;
      ctx.progress.step('volume', volumeId, `busy (${errorMessage(err).slice(0, 80)}), retry ${attempt}`);
      await new Promise((r) => setTimeout(r, 5000));
    }
  }
}

/** The point-in-time step: a snapshot of an attached volume, or the upload of an idle one. */
async function captureVolumeOnce(cinder: ServiceClient, volumeId: string, ctx: DataExportContext): Promise<Capture> {
  const volume = await settledVolume(cinder, volumeId, ctx);
  if (volume.status === 'in-use') return { mode: 'snapshot', snapshotId: await snapshotAttachedVolume(cinder, volume, ctx), size: volume.size };
  if (volume.status === 'available') {
    ctx.progress.step('volume', volumeId, 'upload to image');
    const imageId = await uploadToImage(cinder, volumeId, ctx.temporaries.nameFor(`vol-${volumeId}`), ctx);
    return { mode: 'direct', imageId };
  }
  if (VOLUME_TRANSITIONAL.includes(volume.status)) throw new VolumeBusyError(`volume is still in status "${volume.status}"`);
  throw new Error(`volume is in status "${volume.status}": its data cannot be read (only available and in-use volumes can be exported)`);
}

/** How often the snapshot of an attached volume is tried when Cinder fails it (status "error"). */
const SNAPSHOT_ATTEMPTS = 3;

/**
 * The temporary snapshot of an attached volume, available. With a file-based backend (NFS and
 * the like) Nova takes it inside the running guest (assisted snapshot), and fails it while it
 * snapshots the same server or volume for someone else — a concurrent backup of the project on
 * this host or elsewhere. So: one at a time per server on this host (a host lock, held until the
 * snapshot is available; the server export takes the same lock for its createImage), after the
 * server's own task has ended; a snapshot that still fails is deleted and made once more.
 */
async function snapshotAttachedVolume(cinder: ServiceClient, volume: CinderVolume, ctx: DataExportContext): Promise<string> {
  const servers = [...new Set((volume.attachments ?? []).map((a) => a.server_id).filter((id): id is string => !!id))].sort();
  for (let attempt = 1; ; attempt++) {
    try {
      const locks = servers.map(serverLockKey);
      const onWait = (pid: number, key: string) => ctx.progress.step('volume', volume.id, `wait for permafrost process ${pid} (${key})`);
      return await withHostLocks(locks, async () => {
        await waitServersIdle(servers, volume.id, ctx);
        ctx.progress.step('volume', volume.id, 'snapshot');
        const name = ctx.temporaries.nameFor(`snap-${volume.id}`);
        const snapshotId = await createOnce({
          create: async () =>
            (
              await cinder.request<{ snapshot: CinderSnapshot }>({
                method: 'POST',
                path: '/snapshots',
                retry: false,
                json: { snapshot: { volume_id: volume.id, force: true, name, description: 'temporary snapshot of a permafrost backup', metadata: ctx.temporaries.metadata() } },
              })
            ).body.snapshot.id,
          find: () => idByName(cinder, '/snapshots', 'snapshots', name),
          signal: ctx.signal,
        });
        ctx.temporaries.track({ kind: 'volume_snapshot', id: snapshotId, name });
        // The capture ends when the snapshot exists: only then may the server be snapshotted
        // (Nova refuses the assisted snapshot of an attached volume during its own createImage).
        try {
          await waitSnapshotAvailable(cinder, volume.id, snapshotId, ctx);
        } catch (err) {
          await ctx.temporaries.release('volume_snapshot', snapshotId).catch(() => {});
          throw err;
        }
        return snapshotId;
      }, { signal: ctx.signal, onWait });
    } catch (err) {
      if (!(err instanceof SnapshotFailedError)) throw err;
      if (attempt >= SNAPSHOT_ATTEMPTS || ctx.signal.aborted) {
        throw new Error(
          `Cinder could not snapshot the attached volume (${attempt} attempts, the temporary snapshot went to status "error" each time). ` +
            'With a file-based backend (NFS) Nova takes this snapshot inside the running server and fails it while the server or the volume is ' +
            'being snapshotted by someone else (another backup of this project on another host, a user\'s createImage); see the cinder-volume and nova-compute logs. ' +
            'The failed snapshots were deleted; a later backup will try again',
        );
      }
      ctx.progress.step('volume', volume.id, `snapshot failed (status error), try ${attempt + 1} of ${SNAPSHOT_ATTEMPTS}`);
      await new Promise((r) => setTimeout(r, 10_000 * attempt));
    }
  }
}

/** The temporary snapshot went to status "error" (Cinder or Nova could not take it). */
class SnapshotFailedError extends Error {}

/** Waits (at most 3 minutes) until no Nova task (createImage of another backup…) runs on the servers. */
async function waitServersIdle(servers: string[], volumeId: string, ctx: DataExportContext): Promise<void> {
  if (servers.length === 0 || !ctx.session.hasService('compute')) return;
  const nova = await ctx.session.client('compute');
  const deadline = Date.now() + 3 * 60_000;
  for (const serverId of servers) {
    for (;;) {
      let task: string | null | undefined;
      try {
        task = (await nova.request<{ server: { 'OS-EXT-STS:task_state'?: string | null } }>({ path: `/servers/${seg(serverId)}` })).body.server['OS-EXT-STS:task_state'];
      } catch {
        break; // not readable (another project's server, gone): Cinder will tell
      }
      if (!task || Date.now() > deadline || ctx.signal.aborted) break;
      ctx.progress.step('volume', volumeId, `wait while server ${serverId} is ${task}`);
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
}

async function waitSnapshotAvailable(cinder: ServiceClient, volumeId: string, snapshotId: string, ctx: DataExportContext): Promise<CinderSnapshot | undefined> {
  ctx.progress.step('volume', volumeId, 'wait for snapshot');
  try {
    return await waitForStatus({
      what: `temporary snapshot ${snapshotId} of volume ${volumeId}`,
      get: () => getSnapshot(cinder, snapshotId),
      status: (s) => s.status,
      target: ['available'],
      timeoutMs: 30 * 60_000,
      intervalMs: 1000,
      signal: ctx.signal,
    });
  } catch (err) {
    if (/went to status "error"/.test(errorMessage(err))) throw new SnapshotFailedError(errorMessage(err));
    throw err;
  }
}

/**
 * Creates a temporary volume from a snapshot (tracked, so it is deleted whatever happens) and
 * waits until it is available; returns its ID.
 */
async function temporaryVolumeFromSnapshot(
  cinder: ServiceClient,
  snapshotId: string,
  size: number,
  ctx: DataExportContext,
  label: { name: string; description: string; what: string },
): Promise<string> {
  const cloneId = await createOnce({
    create: async () =>
      (
        await cinder.request<{ volume: CinderVolume }>({
          method: 'POST',
          path: '/volumes',
          retry: false,
          json: { volume: { snapshot_id: snapshotId, size, name: label.name, description: label.description, metadata: ctx.temporaries.metadata() } },
        })
      ).body.volume.id,
    find: () => idByName(cinder, '/volumes', 'volumes', label.name),
    signal: ctx.signal,
  });
  ctx.temporaries.track({ kind: 'volume', id: cloneId, name: label.name });
  await waitVolumeAvailable(cinder, cloneId, label.what, ctx);
  return cloneId;
}

/** Waits until a temporary volume is available. */
async function waitVolumeAvailable(cinder: ServiceClient, volumeId: string, what: string, ctx: DataExportContext): Promise<void> {
  await waitForStatus({
    what: `temporary volume ${volumeId} (${what})`,
    get: () => getVolume(cinder, volumeId),
    status: (v) => v.status,
    target: ['available'],
    timeoutMs: 60 * 60_000,
    intervalMs: 2000,
    signal: ctx.signal,
  });
}

/** snapshot → volume from snapshot → upload-to-image; returns the image and the clone. */
async function cloneAndUpload(
  cinder: ServiceClient,
  volumeId: string,
  snapshotId: string,
  size: number,
  ctx: DataExportContext,
): Promise<{ imageId: string; cloneId: string }> {
  const snapshot = await waitSnapshotAvailable(cinder, volumeId, snapshotId, ctx);
  ctx.progress.step('volume', volumeId, 'volume from snapshot');
  const cloneId = await temporaryVolumeFromSnapshot(cinder, snapshotId, snapshot?.size ?? size, ctx, {
    name: ctx.temporaries.nameFor(`clone-${volumeId}`),
    description: 'temporary clone of a permafrost backup',
    what: `clone of volume ${volumeId}`,
  });
  ctx.progress.step('volume', volumeId, 'upload to image');
  const imageId = await uploadToImage(cinder, cloneId, ctx.temporaries.nameFor(`vol-${volumeId}`), ctx);
  return { imageId, cloneId };
}

/**
 * Cinder's upload-to-image into a new image named `imageName` (a permafrost temporary name: how
 * the sweeper recognises it). The image is never modified while Cinder writes into it: a PATCH
 * during the upload can make Glance reset it (saving → queued) and lose the upload.
 */
async function uploadToImage(cinder: ServiceClient, volumeId: string, imageName: string, ctx: DataExportContext): Promise<string> {
  const glance = await ctx.session.client('image');
  const imageId = await createOnce({
    create: async () =>
      (
        await cinder.request<{ 'os-volume_upload_image': { image_id: string } }>({
          method: 'POST',
          path: `/volumes/${seg(volumeId)}/action`,
          retry: false,
          json: { 'os-volume_upload_image': { image_name: imageName, force: false, disk_format: 'raw', container_format: 'bare' } },
        })
      ).body['os-volume_upload_image'].image_id,
    find: () => imageIdByName(glance, imageName),
    signal: ctx.signal,
  });
  ctx.temporaries.track({ kind: 'image', id: imageId, name: imageName });
  return imageId;
}

/** The uploaded image once active; a clear message when Glance lost it on the way. */
async function waitUploadedImage(glance: ServiceClient, imageId: string, ctx: DataExportContext): Promise<Awaited<ReturnType<typeof waitImageActive>>> {
  try {
    return await waitImageActive(glance, imageId, ctx);
  } catch (err) {
    if (!/disappeared while waiting/.test(errorMessage(err))) throw err;
    throw new Error(
      `the temporary image ${imageId} of Cinder's upload-to-image was deleted before it became active (by someone else: ` +
        "a 'permafrost cleanup' or backup on another host that took it for a crashed run's leftover, or an operator)",
    );
  }
}
