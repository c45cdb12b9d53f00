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
import type { ServiceClient } from '../../src/openstack/types.js';
import type { DataStreamRef } from '../../src/model/resource.js';
import { ResourceGoneError, type DataExportContext, type ExportDataHook } from '../data-export.js';
import { waitForStatus } from '../common/wait.js';
import { seg, versionedPath } from '../common/api-path.js';
import { errorMessage, httpStatusOf, isNotFound } from '../common/http-status.js';
import { downloadImageInto, waitImageActive } from '../images/download-image.js';

interface CinderVolume {
  id: string;
  status: string;
  size: number;
  volume_type?: string | null;
  availability_zone?: string;
  metadata?: Record<string, string>;
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
          const image = await waitImageActive(glance, imageId, ctx);
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
  // Glance can lose an upload when the image record is written concurrently (seen under load:
  // "could not be found after upload"); the clone is ours, so upload it once more.
  let imageId = '';
  let image: Awaited<ReturnType<typeof waitImageActive>> | undefined;
  for (let attempt = 1; !image; attempt++) {
    ctx.progress.step('volume_snapshot', snapshotId, 'upload to image');
    imageId = await uploadToImage(cinder, cloneId, ctx.temporaries.nameFor(`snap-${snapshotId}`), ctx);
    ctx.progress.step('volume_snapshot', snapshotId, 'wait for image');
    try {
      image = await waitImageActive(glance, imageId, ctx);
    } catch (err) {
      if (attempt >= 2 || ctx.signal.aborted) throw err;
      await ctx.temporaries.release('image', imageId);
      await waitVolumeAvailable(cinder, cloneId, `from volume snapshot ${snapshotId}`, ctx, 30 * 60_000);
    }
  }
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
  if (volume.status === 'in-use') {
    ctx.progress.step('volume', volumeId, 'snapshot');
    const name = ctx.temporaries.nameFor(`snap-${volumeId}`);
    const res = await cinder.request<{ snapshot: CinderSnapshot }>({
      method: 'POST',
      path: '/snapshots',
      json: { snapshot: { volume_id: volumeId, force: true, name, description: 'temporary snapshot of a permafrost backup', metadata: ctx.temporaries.metadata() } },
    });
    const snapshotId = res.body.snapshot.id;
    ctx.temporaries.track({ kind: 'volume_snapshot', id: snapshotId, name });
    // The capture ends when the snapshot exists: only then may the server be snapshotted
    // (Nova refuses the assisted snapshot of an attached volume during its own createImage).
    await waitSnapshotAvailable(cinder, volumeId, snapshotId, ctx);
    return { mode: 'snapshot', snapshotId, size: volume.size };
  }
  if (volume.status === 'available') {
    ctx.progress.step('volume', volumeId, 'upload to image');
    const imageId = await uploadToImage(cinder, volumeId, ctx.temporaries.nameFor(`vol-${volumeId}`), ctx);
    return { mode: 'direct', imageId };
  }
  if (VOLUME_TRANSITIONAL.includes(volume.status)) throw new VolumeBusyError(`volume is still in status "${volume.status}"`);
  throw new Error(`volume is in status "${volume.status}": its data cannot be read (only available and in-use volumes can be exported)`);
}

async function waitSnapshotAvailable(cinder: ServiceClient, volumeId: string, snapshotId: string, ctx: DataExportContext): Promise<CinderSnapshot | undefined> {
  ctx.progress.step('volume', volumeId, 'wait for snapshot');
  return waitForStatus({
    what: `temporary snapshot ${snapshotId} of volume ${volumeId}`,
    get: () => getSnapshot(cinder, snapshotId),
    status: (s) => s.status,
    target: ['available'],
    timeoutMs: 30 * 60_000,
    intervalMs: 1000,
    signal: ctx.signal,
  });
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
  const res = await cinder.request<{ volume: CinderVolume }>({
    method: 'POST',
    path: '/volumes',
    json: { volume: { snapshot_id: snapshotId, size, name: label.name, description: label.description, metadata: ctx.temporaries.metadata() } },
  });
  const cloneId = res.body.volume.id;
  ctx.temporaries.track({ kind: 'volume', id: cloneId, name: label.name });
  await waitVolumeAvailable(cinder, cloneId, label.what, ctx);
  return cloneId;
}

/** Waits until a temporary volume is available (after its creation, or after a failed upload). */
async function waitVolumeAvailable(cinder: ServiceClient, volumeId: string, what: string, ctx: DataExportContext, timeoutMs = 60 * 60_000): Promise<void> {
  await waitForStatus({
    what: `temporary volume ${volumeId} (${what})`,
    get: () => getVolume(cinder, volumeId),
    status: (v) => v.status,
    target: ['available'],
    timeoutMs,
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

async function uploadToImage(cinder: ServiceClient, volumeId: string, imageName: string, ctx: DataExportContext): Promise<string> {
  const res = await cinder.request<{ 'os-volume_upload_image': { image_id: string } }>({
    method: 'POST',
    path: `/volumes/${seg(volumeId)}/action`,
    json: { 'os-volume_upload_image': { image_name: imageName, force: false, disk_format: 'raw', container_format: 'bare' } },
  });
  const imageId = res.body['os-volume_upload_image'].image_id;
  ctx.temporaries.track({ kind: 'image', id: imageId, name: imageName });
  await tagImage(ctx, imageId);
  return imageId;
}

/** Adds the owner metadata to an image Cinder created (best effort: the name alone is recognised too). */
async function tagImage(ctx: DataExportContext, imageId: string): Promise<void> {
  try {
    const glance = await ctx.session.client('image');
    const ops = Object.entries(ctx.temporaries.metadata()).map(([k, v]) => ({ op: 'add', path: `/${k}`, value: v }));
    await glance.request({
      method: 'PATCH',
      path: versionedPath(glance, '/v2', `/images/${seg(imageId)}`),
      headers: { 'Content-Type': 'application/openstack-images-v2.1-json-patch' },
      body: JSON.stringify(ops),
    });
  } catch {
    // the image may be mid-upload and refuse changes; the sweeper recognises it by name
  }
}
