// Recreates Cinder volumes and their snapshots. A volume's bytes go up by the fastest public
// path a tenant has: the repository stream is uploaded into a temporary Glance image, Cinder
// creates the volume from it, and the image is deleted again. Bootable flag and image metadata
// are then set back to what the snapshot says (Cinder copies the temporary image's instead).
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, isNotFound } from '../common/http-status.js';
import { glance, deleteImage } from '../images/restore.js';
import { uploadImage } from '../images/upload-image.js';
import { markerMetadata, hasMarker, userMetadata, RESTORE_META_KEY, SOURCE_META_KEY, TEMPORARY_META_KEY } from '../restore-marker.js';
import type { KindRestorer, RestoreContext, RestoredResource, RestoreStep, ServiceRestoreHooks } from '../restore-hooks.js';
import type { ResourceRecord } from '../../src/model/resource.js';
import { ComputeClient, type Server } from '../compute/client.js';
import { afterAttach, beforeDetach, restartKeysOf, restartListOf, restartMetadata } from '../../src/restore/volume-replace.js';
import { VolumeClient, type Volume } from './client.js';

const cinder = (ctx: RestoreContext) => ctx.client('volumev3', (s) => VolumeClient.open(s));
const compute = (ctx: RestoreContext) => ctx.client('compute', (s) => ComputeClient.open(s));
const WAIT = { timeoutMs: 30 * 60_000, intervalMs: 2000 };
/** Keys Cinder fills itself from the image a volume was created from. */
const CINDER_IMAGE_KEYS = new Set(['signature_verified', 'image_id', 'image_name', 'checksum', 'container_format', 'disk_format', 'min_disk', 'min_ram', 'size']);

function mapped(step: RestoreStep, field: string, fallback: unknown): unknown {
  return field in step.mappedFields ? step.mappedFields[field]!.to : fallback;
}

/** Uploads a stream into a temporary image tagged with the restore (deleted by the caller). */
async function temporaryImage(ctx: RestoreContext, purpose: string, sourceId: string, stream: { stream: string; size: number }, diskFormat = 'raw'): Promise<string> {
  // one an interrupted attempt made (killed before it could even record it) goes first
  const client = await glance(ctx);
  const earlier = await client.listImages({ owner: ctx.projectId, [RESTORE_META_KEY]: ctx.restoreId } as Record<string, string>).catch(() => []);
  for (const old of earlier) if (old[SOURCE_META_KEY] === sourceId && old[TEMPORARY_META_KEY] === purpose) await deleteImage(ctx, old.id);
  const image = await uploadImage(client, {
    image: {
      name: `permafrost-restore-${ctx.restoreId}-${purpose}`,
      disk_format: diskFormat,
      container_format: 'bare',
      visibility: 'private',
      ...markerMetadata(ctx.restoreId, sourceId),
      [TEMPORARY_META_KEY]: purpose,
    },
    size: stream.size,
    data: async () => metered(ctx, await ctx.readStream(stream.stream)),
    onCreated: (id) => ctx.trackAuxiliary({ kind: 'image', id, temporary: true }),
    signal: ctx.signal,
  });
  return image.id;
}

function metered(ctx: RestoreContext, s: Readable): Readable {
  s.on('data', (chunk: Buffer) => ctx.progress(chunk.length));
  return s;
}

async function dropTemporaryImage(ctx: RestoreContext, id: string): Promise<void> {
  await deleteImage(ctx, id);
  await ctx.releaseAuxiliary({ kind: 'image', id, temporary: true });
}

async function findVolumeByMarker(ctx: RestoreContext, sourceId: string): Promise<Volume | undefined> {
  const client = await cinder(ctx);
  const list = await client.listVolumes({ metadata: JSON.stringify(markerMetadata(ctx.restoreId, sourceId)) });
  return list.find((v) => hasMarker(ctx.restoreId, sourceId, undefined, v.metadata));
}

/** Bootable flag and image metadata as in the snapshot (not what the temporary image left). */
async function restoreVolumeAttributes(ctx: RestoreContext, id: string, fields: Record<string, unknown>): Promise<Record<string, { to: unknown; why: string }>> {
  const client = await cinder(ctx);
  const changed: Record<string, { to: unknown; why: string }> = {};
  const bootable = fields.bootable === true || fields.bootable === 'true';
  await client.setBootable(id, bootable);
  const now = (await client.getVolume(id)).volume_image_metadata ?? {};
  const wanted: Record<string, string> = {};
  for (const [k, v] of Object.entries((fields.volume_image_metadata as Record<string, unknown> | undefined) ?? {})) {
    if (typeof v !== 'string') continue;
    // the image a volume came from is the restored image, when there is one
    wanted[k] = k === 'image_id' ? (ctx.targetIdOf('image', v) ?? v) : v;
  }
  for (const key of Object.keys(now)) {
    if (key in wanted) continue;
    await client.http.request({ method: 'POST', path: `/volumes/${encodeURIComponent(id)}/action`, json: { 'os-unset_image_metadata': { key } } }).catch((err: unknown) => {
      changed[`volume_image_metadata.${key}`] = { to: now[key], why: `Cinder refused to remove it (${errorMessage(err)})` };
    });
  }
  const settable = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => now[k] !== v));
  if (Object.keys(settable).length > 0) {
    try {
      await client.setImageMetadata(id, settable);
    } catch (err) {
      for (const key of Object.keys(settable)) if (CINDER_IMAGE_KEYS.has(key)) changed[`volume_image_metadata.${key}`] = { to: now[key], why: `Cinder keeps its own value (${errorMessage(err)})` };
    }
  }
  return changed;
}

/** Where a volume was attached (server in the target, device), and which of those servers ran. */
interface Held {
  attachments: Array<{ server_id: string; device?: string }>;
  restart: string[];
}

/** The server once no task runs on it (a stop or start a killed run left going), or as it is after WAIT. */
async function settledServer(ctx: RestoreContext, serverId: string): Promise<Server> {
  const nova = await compute(ctx);
  const deadline = Date.now() + WAIT.timeoutMs;
  for (;;) {
    const server = await nova.getServer(serverId);
    if (!server['OS-EXT-STS:task_state'] || Date.now() > deadline) return server;
    await sleep(WAIT.intervalMs, undefined, { signal: ctx.signal });
  }
}

/**
 * Frees a volume from its servers: the servers it is attached to are stopped (a running guest
 * may never acknowledge a hot-unplug; those that ran are remembered — by `remember`, before the
 * first stop, so that a run killed meanwhile knows them too), then it is detached. A server a
 * killed run was stopping is waited for, not stopped again (Nova refuses a second stop).
 */
async function releaseFromServers(ctx: RestoreContext, volumeId: string, what: string, remember?: (running: string[]) => Promise<void>): Promise<Held> {
  const client = await cinder(ctx);
  let current = await client.getVolume(volumeId);
  if (current.status !== 'available' && current.status !== 'in-use') current = (await client.waitForVolume(volumeId, ['available', 'in-use'], { ...WAIT, signal: ctx.signal })) ?? current;
  const attachments = (current.attachments ?? []).filter((a) => a.server_id).map((a) => ({ server_id: a.server_id, ...(a.device ? { device: a.device } : {}) }));
  const restart: string[] = [];
  if (attachments.length === 0) return { attachments, restart };
  const nova = await compute(ctx);
  const servers = [...new Set(attachments.map((a) => a.server_id))];
  for (const serverId of servers) {
    let server = await nova.getServer(serverId);
    if ((server as { 'OS-EXT-SRV-ATTR:root_device_name'?: string })['OS-EXT-SRV-ATTR:root_device_name'] === attachments.find((a) => a.server_id === serverId)?.device && !server.image) {
      throw new Error(`${what} is the root disk of server ${server.name} (${serverId}): it cannot be detached; leave the volume out of the overwrite (set its step to "skip")`);
    }
    if (beforeDetach(server) === 'wait') server = await settledServer(ctx, serverId);
    if (beforeDetach(server) === 'stop') restart.push(serverId);
  }
  if (restart.length > 0) await remember?.(restart);
  for (const serverId of restart) await nova.stop(serverId);
  for (const serverId of servers) await nova.waitForServer(serverId, ['SHUTOFF'], { ...WAIT, signal: ctx.signal });
  for (const a of attachments) await nova.detachVolume(a.server_id, volumeId);
  await client.waitForVolume(volumeId, ['available'], { ...WAIT, signal: ctx.signal });
  return { attachments, restart };
}

/** Attaches `volumeId` where `held` says (same devices) and starts the servers that ran (those already running again are left alone); returns what failed. */
async function attachToServers(ctx: RestoreContext, volumeId: string, held: Held): Promise<string[]> {
  const problems: string[] = [];
  if (held.attachments.length === 0 && held.restart.length === 0) return problems;
  const client = await cinder(ctx);
  const nova = await compute(ctx);
  if (held.attachments.length > 0) {
    const already = new Set(((await client.getVolume(volumeId)).attachments ?? []).map((a) => a.server_id));
    for (const a of held.attachments) {
      if (already.has(a.server_id)) continue;
      await nova.attachVolume(a.server_id, { volumeId, ...(a.device ? { device: a.device } : {}) }).catch((err: unknown) => problems.push(`could not be attached to server ${a.server_id} (${errorMessage(err)})`));
    }
    await client.waitForVolume(volumeId, ['in-use'], { ...WAIT, signal: ctx.signal }).catch((err: unknown) => problems.push(`did not become in-use (${errorMessage(err)})`));
  }
  for (const serverId of held.restart) {
    let server = await nova.findServer(serverId);
    if (!server) continue;
    if (afterAttach(server) === 'wait') server = await settledServer(ctx, serverId);
    if (afterAttach(server) !== 'start') continue;
    await nova.start(serverId).catch((err: unknown) => problems.push(`server ${serverId} could not be started again (${errorMessage(err)})`));
    await nova.waitForServer(serverId, ['ACTIVE'], { ...WAIT, signal: ctx.signal }).catch(() => undefined);
  }
  return problems;
}

/** Storage protocols of Cinder's file-based ("remotefs") drivers, which reimage a volume's base file. */
const FILE_BASED_PROTOCOLS = new Set(['nfs', 'smbfs', 'cifs', 'glusterfs', 'quobyte', 'vzstorage', 'scality']);

/**
 * Why the snapshots' own data cannot come back through Cinder's reimage here, if that is known:
 * a file-based driver writes a reimage into the volume's base file, which is the data of the
 * volume's first snapshot (every snapshot would then read the last image). The pools' protocol
 * is visible to admins only; a tenant's restore tries the reimage, and the fidelity report,
 * which reads each snapshot's data back, tells whether it held.
 */
async function snapshotDataObstacle(ctx: RestoreContext): Promise<string | undefined> {
  return ctx.client('volumev3:snapshot-data-obstacle', async () => {
    const client = await cinder(ctx);
    const pools = await client.http
      .request<{ pools?: Array<{ name: string; capabilities?: { storage_protocol?: string } }> }>({ path: '/scheduler-stats/get_pools', searchParams: { detail: true } })
      .then((res) => res.body.pools ?? [])
      .catch(() => []);
    const fileBased = pools.filter((p) => FILE_BASED_PROTOCOLS.has(String(p.capabilities?.storage_protocol ?? '').toLowerCase()));
    if (fileBased.length === 0 || fileBased.length < pools.length) return undefined;
    const protocol = String(fileBased[0]!.capabilities!.storage_protocol);
    return `the target's volume driver keeps volumes as files (${protocol}): Cinder writes a reimage into the volume's base file, which its first snapshot shares, so a snapshot's own data cannot be put back through the API`;
  });
}

/** The snapshot records of a volume whose data the backup holds (`--snapshot-data`), oldest first. */
function snapshotsWithData(record: ResourceRecord, all: ResourceRecord[]): ResourceRecord[] {
  return all
    .filter((r) => r.kind === 'volume_snapshot' && r.status === 'ok' && r.fields.volume_id === record.id && snapshotStream(r) !== undefined)
    .sort((a, b) => String(a.fields.created_at ?? '').localeCompare(String(b.fields.created_at ?? '')) || a.id.localeCompare(b.id));
}

function snapshotStream(r: ResourceRecord): { stream: string; size: number } | undefined {
  return r.data?.find((d) => d.stream === `volume_snapshot/${r.id}`);
}

/** A volume snapshot as the record says (name, description, metadata) with the restore marker. */
async function snapshotAsRecorded(ctx: RestoreContext, volumeId: string, record: ResourceRecord): Promise<string> {
  const client = await cinder(ctx);
  const f = record.fields;
  const made = await client.createSnapshot({
    volume_id: volumeId,
    force: true,
    ...(typeof f.name === 'string' ? { name: f.name } : {}),
    ...(typeof f.description === 'string' ? { description: f.description } : {}),
    metadata: { ...userMetadata(f.metadata), ...markerMetadata(ctx.restoreId, record.id) },
  });
  await client.waitForSnapshot(made.id, ['available'], { ...WAIT, signal: ctx.signal });
  return made.id;
}

/** Cinder reimage (3.68) of a volume that is not attached, with a stream of the snapshot. */
async function reimageWith(ctx: RestoreContext, volumeId: string, sourceId: string, stream: { stream: string; size: number }, purpose: string): Promise<void> {
  const client = await cinder(ctx);
  const imageId = await temporaryImage(ctx, purpose, sourceId, stream);
  try {
    await client.reimage(volumeId, imageId);
    const done = await client.waitForVolume(volumeId, ['available', 'error'], { ...WAIT, signal: ctx.signal });
    if (done?.status === 'error') throw new Error(`Cinder could not reimage volume ${volumeId} with the data of ${purpose}`);
  } finally {
    await dropTemporaryImage(ctx, imageId);
  }
}

/**
 * The volume's history: the volume is made from its oldest snapshot's data and snapshotted, then
 * reimaged with each next snapshot's data and snapshotted again, and last reimaged with its own
 * data. While this runs the volume's marker names the chain, not the volume: a run killed in the
 * middle finds the chain unfinished (findExisting) and starts it again from scratch.
 */
async function volumeWithSnapshots(ctx: RestoreContext, step: RestoreStep, record: ResourceRecord, chain: ResourceRecord[], stream: { stream: string; size: number }): Promise<RestoredResource> {
  const client = await cinder(ctx);
  const [oldest, ...later] = chain;
  const made = await volumeFromBackup(ctx, step, record, { stream: snapshotStream(oldest!)!, markerSource: chainSource(record.id) });
  await snapshotAsRecorded(ctx, made.id, oldest!);
  for (const snapshot of later) {
    await reimageWith(ctx, made.id, chainSource(record.id), snapshotStream(snapshot)!, `snapshot-${snapshot.id}`);
    await snapshotAsRecorded(ctx, made.id, snapshot);
  }
  await reimageWith(ctx, made.id, chainSource(record.id), stream, `volume-${record.id}`);
  const changed = { ...made.changed, ...(await restoreVolumeAttributes(ctx, made.id, record.fields)) };
  await client.updateVolumeMetadata(made.id, markerMetadata(ctx.restoreId, record.id));
  return { id: made.id, changed };
}

/** The marker source of a volume whose snapshot chain is not finished yet. */
const chainSource = (volumeId: string) => `chain/${volumeId}`;

/** A new volume with the record's bytes (temporary image → Cinder), attributes and the restore marker. */
async function volumeFromBackup(ctx: RestoreContext, step: RestoreStep, record: ResourceRecord, from?: { stream: { stream: string; size: number }; markerSource: string }): Promise<RestoredResource> {
  const f = record.fields;
  const client = await cinder(ctx);
  const stream = from?.stream ?? record.data?.find((d) => d.stream === `volume/${record.id}`) ?? record.data?.[0];
  const type = mapped(step, 'volume_type', f.volume_type);
  const zone = mapped(step, 'availability_zone', f.availability_zone);
  const changed: Record<string, { to: unknown; why: string }> = {};
  let imageId: string | undefined;
  if (stream) imageId = await temporaryImage(ctx, from ? `first-${record.id}` : `volume-${record.id}`, from?.markerSource ?? record.id, stream);
  else {
    ctx.note(`volume ${record.name || record.id}: the snapshot holds no data for it; created empty`);
    changed.data = { to: 'empty', why: record.reason ?? 'no data in the snapshot' };
  }
  try {
    const made = await client.createVolume({
      size: Number(f.size),
      ...(typeof f.name === 'string' ? { name: f.name } : {}),
      ...(typeof f.description === 'string' ? { description: f.description } : {}),
      ...(typeof type === 'string' && type !== '' ? { volume_type: type } : {}),
      ...(typeof zone === 'string' && zone !== '' ? { availability_zone: zone } : {}),
      ...(f.multiattach === true ? { multiattach: true } : {}),
      ...(imageId ? { imageRef: imageId } : {}),
      metadata: { ...userMetadata(f.metadata), ...markerMetadata(ctx.restoreId, from?.markerSource ?? record.id) },
    });
    const ready = await client.waitForVolume(made.id, ['available'], WAIT);
    if (!ready) throw new Error(`volume ${made.id} disappeared while it was created`);
    Object.assign(changed, await restoreVolumeAttributes(ctx, made.id, f));
    return { id: made.id, changed };
  } finally {
    if (imageId) await dropTemporaryImage(ctx, imageId);
  }
}

/**
 * reimage: the existing volume gets the backed-up bytes (Cinder 3.68), keeping its ID. Cinder
 * reimages only a volume that is not attached: its servers are stopped, it is detached, reimaged,
 * attached again (same device) and the servers that ran are started again. Not the default: a
 * driver that keeps volumes as files (NFS and the other remotefs drivers) writes the image into
 * the volume's base file even when a qcow2 overlay left by an online snapshot — every backup of an
 * attached volume takes one — is the active file, so the reimage "succeeds" and the server still
 * reads the old bytes (see docs/restore.md).
 */
async function reimageVolume(ctx: RestoreContext, record: ResourceRecord, stream: { stream: string; size: number }, targetId: string): Promise<RestoredResource> {
  const what = `volume ${record.name || record.id}`;
  const client = await cinder(ctx);
  const held = await releaseFromServers(ctx, targetId, what);
  const imageId = await temporaryImage(ctx, `reimage-${record.id}`, record.id, stream);
  try {
    await client.reimage(targetId, imageId);
    await client.waitForVolume(targetId, ['available'], { ...WAIT, signal: ctx.signal });
    return { id: targetId, changed: await restoreVolumeAttributes(ctx, targetId, record.fields) };
  } finally {
    await dropTemporaryImage(ctx, imageId);
    // also after a failed reimage: the servers get their volume back and run again
    if (held.attachments.length > 0) {
      for (const problem of await attachToServers(ctx, targetId, held)) ctx.note(`${what}: ${problem}`);
      ctx.note(`${what} was attached: its server(s) were stopped for the reimage, the volume detached, reimaged, attached again and the server(s) started again`);
    }
  }
}

/**
 * replace (the default overwrite of a volume): a new volume is made from the backed-up bytes (the
 * path a restore creates volumes by), the existing one is detached from its servers (stopped
 * meanwhile), the new one attached in its place (same devices), the servers started again and
 * the old volume deleted. The volume gets a new ID. Re-runnable after a kill at any point: the new
 * volume carries the restore marker and is found again; where it must be attached is also read
 * from the snapshot; the servers the replace stopped are listed in the new volume's metadata
 * (RESTART_META_KEY, written before the first stop, removed once they run again), so a resumed
 * run starts exactly those again, whatever step the server itself has in the plan.
 */
async function replaceVolume(ctx: RestoreContext, step: RestoreStep, record: ResourceRecord, targetId: string): Promise<RestoredResource> {
  const what = `volume ${record.name || record.id}`;
  const client = await cinder(ctx);
  let replacement: RestoredResource;
  let remembered: string[] = [];
  const earlier = await findVolumeByMarker(ctx, record.id);
  if (earlier && earlier.id !== targetId && earlier.status !== 'error') {
    // a killed run's replacement, maybe still filling or being attached: settled first
    if (earlier.status !== 'available' && earlier.status !== 'in-use') await client.waitForVolume(earlier.id, ['available', 'in-use'], { ...WAIT, signal: ctx.signal });
    remembered = restartListOf(earlier.metadata);
    replacement = { id: earlier.id, changed: await restoreVolumeAttributes(ctx, earlier.id, record.fields) };
  } else {
    if (earlier && earlier.status === 'error') {
      await client.deleteVolume(earlier.id);
      await client.waitForVolumeDeleted(earlier.id, WAIT);
    }
    replacement = await volumeFromBackup(ctx, step, record);
  }
  let old = await client.getVolume(targetId).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  if (old?.status === 'deleting') {
    // a killed run had got as far as deleting it
    await client.waitForVolumeDeleted(targetId, { ...WAIT, signal: ctx.signal });
    old = undefined;
  }
  const remember = async (running: string[]) => {
    await client.updateVolumeMetadata(replacement.id, restartMetadata([...remembered, ...running]));
  };
  const held: Held = old ? await releaseFromServers(ctx, targetId, what, remember) : { attachments: [], restart: [] };
  for (const serverId of remembered) if (!held.restart.includes(serverId)) held.restart.push(serverId);
  // a re-run after a crash between detach and attach: the snapshot says where it belongs
  const recorded = Array.isArray(record.fields.attachments) ? (record.fields.attachments as Array<{ server_id?: string; device?: string }>) : [];
  for (const a of recorded) {
    const serverId = a.server_id ? ctx.targetIdOf('server', a.server_id) : undefined;
    if (serverId && !held.attachments.some((h) => h.server_id === serverId)) held.attachments.push({ server_id: serverId, ...(a.device ? { device: a.device } : {}) });
  }
  const problems = await attachToServers(ctx, replacement.id, held);
  if (problems.length > 0) throw new Error(`${what}: the new volume ${replacement.id} (backed-up bytes) ${problems.join('; ')}; the old volume ${targetId} is ${old ? 'kept, detached' : 'gone'}`);
  // the servers run again: the list of those to start is done with
  for (const key of restartKeysOf((await client.getVolume(replacement.id)).metadata)) {
    await client.deleteVolumeMetadataKey(replacement.id, key).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
  if (old) {
    try {
      await client.deleteVolume(targetId);
      await client.waitForVolumeDeleted(targetId, { ...WAIT, signal: ctx.signal });
      ctx.note(`${what} was replaced: the new volume ${replacement.id} holds the backed-up bytes${held.attachments.length > 0 ? ' and is attached in its place (same devices; the servers were stopped meanwhile and those that ran started again)' : ''}; the old volume ${targetId} was deleted`);
    } catch (err) {
      if (isNotFound(err)) ctx.note(`${what} was replaced by the new volume ${replacement.id}; the old volume ${targetId} was deleted`);
      else ctx.note(`${what} was replaced by the new volume ${replacement.id}; the old volume ${targetId} could not be deleted and is kept, detached (${errorMessage(err)})`);
    }
  } else {
    ctx.note(`${what} was replaced: the new volume ${replacement.id} holds the backed-up bytes${held.attachments.length > 0 ? ' and is attached in its place' : ''}; the old volume ${targetId} was already deleted (an interrupted run got that far)`);
  }
  return replacement;
}

/** Removes the restore marker keys from a volume's or snapshot's metadata (`collection`: volumes, snapshots). */
async function dropMarkerMetadata(ctx: RestoreContext, collection: 'volumes' | 'snapshots', id: string): Promise<void> {
  const client = await cinder(ctx);
  const metadata = (await client.http.request<{ metadata: Record<string, string> }>({ path: `/${collection}/${encodeURIComponent(id)}/metadata` })).body.metadata ?? {};
  for (const key of [RESTORE_META_KEY, SOURCE_META_KEY]) {
    if (!(key in metadata)) continue;
    await client.http.request({ method: 'DELETE', path: `/${collection}/${encodeURIComponent(id)}/metadata/${encodeURIComponent(key)}` }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
}

const volume: KindRestorer = {
  async findExisting(ctx, step) {
    // a snapshot chain a killed run left unfinished: made again from the start
    const unfinished = await findVolumeByMarker(ctx, chainSource(step.sourceId));
    if (unfinished) {
      await (await cinder(ctx)).deleteVolume(unfinished.id, { cascade: true });
      await (await cinder(ctx)).waitForVolumeDeleted(unfinished.id, WAIT);
    }
    const found = await findVolumeByMarker(ctx, step.sourceId);
    if (!found) return undefined;
    if (found.status === 'error') {
      await (await cinder(ctx)).deleteVolume(found.id);
      await (await cinder(ctx)).waitForVolumeDeleted(found.id, WAIT);
      return undefined;
    }
    if (found.status !== 'available' && found.status !== 'in-use') await (await cinder(ctx)).waitForVolume(found.id, ['available', 'in-use'], WAIT);
    return found.id;
  },
  async create(ctx, step) {
    const record = ctx.record;
    if (!record) throw new Error(`volume ${step.name}: the snapshot has no record of it`);
    const stream = record.data?.find((d) => d.stream === `volume/${record.id}`);
    const chain = stream ? snapshotsWithData(record, ctx.recordsOf('volume_snapshot')) : [];
    if (chain.length > 0 && (await snapshotDataObstacle(ctx)) === undefined) return volumeWithSnapshots(ctx, step, record, chain, stream!);
    return volumeFromBackup(ctx, step, record);
  },
  async update(ctx, step, targetId) {
    // in place with --overwrite: `replace` (default) or `reimage` (plan step's `update`)
    const record = ctx.record;
    const stream = record?.data?.find((d) => d.stream === `volume/${record.id}`) ?? record?.data?.[0];
    if (!record || !stream) throw new Error(`volume ${step.name}: the snapshot holds no data to overwrite it with`);
    if (step.update === 'reimage') return reimageVolume(ctx, record, stream, targetId);
    return replaceVolume(ctx, step, record, targetId);
  },
  async unmark(ctx, _step, id) {
    await dropMarkerMetadata(ctx, 'volumes', id);
  },
  async delete(ctx, _step, id) {
    const client = await cinder(ctx);
    try {
      await client.deleteVolume(id, { cascade: true });
      await client.waitForVolumeDeleted(id, WAIT);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },
};

async function findSnapshotByMarker(ctx: RestoreContext, sourceId: string): Promise<string | undefined> {
  const list = await (await cinder(ctx)).listSnapshots({});
  return list.find((s) => hasMarker(ctx.restoreId, sourceId, undefined, s.metadata))?.id;
}

const volumeSnapshot: KindRestorer = {
  async findExisting(ctx, step) {
    // one its volume's chain made is this step's own work (created, not adopted): found by create
    if (!step.previouslyStarted && ctx.record && snapshotStream(ctx.record)) return undefined;
    return findSnapshotByMarker(ctx, step.sourceId);
  },
  async create(ctx, step) {
    const record = ctx.record;
    if (!record) throw new Error(`volume snapshot ${step.name}: the snapshot has no record of it`);
    const fromChain = snapshotStream(record) ? await findSnapshotByMarker(ctx, record.id) : undefined;
    if (fromChain) return { id: fromChain };
    const volumeId = ctx.requireTargetId('volume', String(record.fields.volume_id), `volume snapshot ${record.name}`);
    const id = await snapshotAsRecorded(ctx, volumeId, record);
    const why = snapshotStream(record) ? ((await snapshotDataObstacle(ctx)) ?? 'its volume was restored without its snapshot chain') : 'the backup holds no data of the snapshot (back up with --snapshot-data)';
    ctx.note(`volume snapshot ${record.name || record.id}: recreated from the restored volume's current content, not from the bytes it held when it was taken: ${why}`);
    return { id, changed: { data: { to: 'content of the restored volume', why } } };
  },
  async update(ctx, step, targetId) {
    // update-fields: name, description and metadata (a snapshot's content cannot change)
    const f = ctx.record?.fields ?? {};
    const client = await cinder(ctx);
    await client.updateSnapshot(targetId, { ...(typeof f.name === 'string' ? { name: f.name } : {}), ...(typeof f.description === 'string' ? { description: f.description } : {}) });
    const metadata = userMetadata(f.metadata);
    if (Object.keys(metadata).length > 0) await client.updateSnapshotMetadata(targetId, metadata);
    void step;
    return { id: targetId };
  },
  async unmark(ctx, _step, id) {
    await dropMarkerMetadata(ctx, 'snapshots', id);
  },
  async delete(ctx, _step, id) {
    const client = await cinder(ctx);
    try {
      await client.deleteSnapshot(id);
      await client.waitForSnapshotDeleted(id, WAIT);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },
};

const volumeType: KindRestorer = {
  async findExisting(ctx, step) {
    const types = await (await cinder(ctx)).listVolumeTypes();
    return types.find((t) => t.name === (step.targetName ?? step.name))?.id;
  },
  async create(ctx, step) {
    const f = ctx.record?.fields ?? {};
    const made = await (await cinder(ctx)).createVolumeType({
      name: step.targetName ?? step.name,
      ...(typeof f.description === 'string' ? { description: f.description } : {}),
      ...(f.extra_specs && typeof f.extra_specs === 'object' ? { extra_specs: f.extra_specs as Record<string, string> } : {}),
      'os-volume-type-access:is_public': f.is_public !== false,
    });
    if (f.is_public === false) await (await cinder(ctx)).addVolumeTypeAccess(made.id, ctx.projectId);
    return { id: made.id };
  },
  async delete(ctx, _step, id) {
    await (await cinder(ctx)).deleteVolumeType(id).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  },
};

export const volumeRestore: ServiceRestoreHooks = { kinds: { volume, volume_snapshot: volumeSnapshot, volume_type: volumeType } };
