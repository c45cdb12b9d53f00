// Recreates Nova resources: keypairs (public keys), server groups, project flavors, servers and
// their volume attachments. A server's root disk comes back from the snapshot as a Glance image
// that the server boots from (kept, so that a later rebuild still works); it gets the restored
// ports (fixed IPs, MAC, security groups), flavor, keypair, server group, metadata and tags,
// and its state (paused, shut off, locked) is put back once everything else is attached.
import { errorMessage, isConflict, isNotFound } from '../common/http-status.js';
import { glance, customPropertiesOf, deleteImage } from '../images/restore.js';
import { uploadImage } from '../images/upload-image.js';
import { isMarkerTag, markerMetadata, markerTags, userMetadata, userTags, RESTORE_META_KEY, SOURCE_META_KEY } from '../restore-marker.js';
import type { KindRestorer, OperationRestorer, RestoreContext, RestoreStep, ServiceRestoreHooks } from '../restore-hooks.js';
import { VolumeClient } from '../volumes/client.js';
import { ComputeClient, type CreateServerRequest, type Server } from './client.js';

const nova = (ctx: RestoreContext) => ctx.client('compute', (s) => ComputeClient.open(s));
const cinder = (ctx: RestoreContext) => ctx.client('volumev3', (s) => VolumeClient.open(s));
const WAIT = { timeoutMs: 20 * 60_000, intervalMs: 2000 };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

// ---------------------------------------------------------------- keypairs

const keypair: KindRestorer = {
  async findExisting(ctx, step) {
    const name = step.targetName ?? step.name;
    try {
      const found = await (await nova(ctx)).getKeypair(name);
      return found.public_key.trim() === String(ctx.record?.fields.public_key ?? '').trim() ? name : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },
  async create(ctx, step) {
    const f = ctx.record?.fields ?? {};
    const name = step.targetName ?? step.name;
    const publicKey = str(f.public_key);
    if (!publicKey) throw new Error(`keypair ${name}: the snapshot holds no public key`);
    try {
      await (await nova(ctx)).importKeypair({ name, public_key: publicKey, ...(f.type === 'x509' ? { type: 'x509' as const } : { type: 'ssh' as const }) });
    } catch (err) {
      if (isConflict(err)) throw new Error(`keypair ${name} already exists for this user with another public key: map it (--map keypair:${name}=<other name>) or delete it`);
      throw err;
    }
    return { id: name };
  },
  async delete(ctx, _step, id) {
    await (await nova(ctx)).deleteKeypair(id).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  },
};

// ---------------------------------------------------------------- server groups (no tags: matched by name)

const serverGroup: KindRestorer = {
  async findExisting(ctx, step) {
    const groups = await (await nova(ctx)).listServerGroups();
    return groups.find((g) => g.name === (step.targetName ?? step.name) && (!g.project_id || g.project_id === ctx.projectId))?.id;
  },
  async create(ctx, step) {
    const f = ctx.record?.fields ?? {};
    const policy = str(f.policy) ?? (Array.isArray(f.policies) ? String(f.policies[0]) : 'anti-affinity');
    const rules = f.rules && typeof f.rules === 'object' && Object.keys(f.rules).length > 0 ? (f.rules as Record<string, unknown>) : undefined;
    const made = await (await nova(ctx)).createServerGroup({ name: step.targetName ?? step.name, policy, ...(rules ? { rules } : {}) });
    return { id: made.id };
  },
  async delete(ctx, _step, id) {
    await (await nova(ctx)).deleteServerGroup(id).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  },
};

// ---------------------------------------------------------------- flavors (admin)

const flavor: KindRestorer = {
  async findExisting(ctx, step) {
    const flavors = await (await nova(ctx)).listFlavors({ isPublic: 'all' });
    return flavors.find((f) => f.name === (step.targetName ?? step.name))?.id;
  },
  async create(ctx, step) {
    const f = ctx.record?.fields ?? {};
    const client = await nova(ctx);
    const isPublic = f['os-flavor-access:is_public'] !== false;
    const made = await client.createFlavor({
      name: step.targetName ?? step.name,
      ram: Number(f.ram),
      vcpus: Number(f.vcpus),
      disk: Number(f.disk),
      'OS-FLV-EXT-DATA:ephemeral': Number(f['OS-FLV-EXT-DATA:ephemeral'] ?? 0),
      swap: Number(f.swap || 0),
      'os-flavor-access:is_public': isPublic,
      ...(typeof f.description === 'string' ? { description: f.description } : {}),
    });
    const specs = f.extra_specs && typeof f.extra_specs === 'object' ? (f.extra_specs as Record<string, string>) : {};
    if (Object.keys(specs).length > 0) await client.setFlavorExtraSpecs(made.id, specs);
    if (!isPublic) await client.addFlavorAccess(made.id, ctx.projectId);
    return { id: made.id };
  },
  async delete(ctx, _step, id) {
    await (await nova(ctx)).deleteFlavor(id).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  },
};

// ---------------------------------------------------------------- servers

/** Marker source of a server's root-disk image: distinct from any image's own old ID. */
const rootSource = (serverId: string) => `server/${serverId}`;

async function findRootImage(ctx: RestoreContext, serverId: string): Promise<string | undefined> {
  const images = await (await glance(ctx)).listImages({ owner: ctx.projectId, [RESTORE_META_KEY]: ctx.restoreId } as Record<string, string>);
  const found = images.find((i) => i[SOURCE_META_KEY] === rootSource(serverId));
  if (!found) return undefined;
  if (found.status === 'active') return found.id;
  await deleteImage(ctx, found.id);
  return undefined;
}

/** The image the server boots from: its backed-up root disk, else the restored/mapped image. */
async function bootImage(ctx: RestoreContext, step: RestoreStep): Promise<{ imageId?: string; changed: Record<string, { to: unknown; why: string }> }> {
  const record = ctx.record!;
  const f = record.fields;
  const oldImage = f.image && typeof f.image === 'object' ? str((f.image as { id?: unknown }).id) : undefined;
  if (!oldImage) return { changed: {} };
  const disk = record.data?.find((d) => d.stream === `server/${record.id}`);
  if (!disk) {
    const mapped = ctx.targetIdOf('image', oldImage);
    if (!mapped) throw new Error(`server ${record.name}: neither its root disk nor its image ${oldImage} is available in the target`);
    ctx.note(`server ${record.name}: no root-disk data in the snapshot; booted from its image as it is`);
    return { imageId: mapped, changed: {} };
  }
  const existing = await findRootImage(ctx, record.id);
  const why = 'booted from its restored root disk (a new image)';
  if (existing) return { imageId: existing, changed: { 'image.id': { to: existing, why } } };
  const diskFormat = (f.rootDiskData as { diskFormat?: string } | undefined)?.diskFormat ?? 'qcow2';
  const original = ctx.recordOf('image', oldImage);
  const client = await glance(ctx);
  const made = await uploadImage(client, {
    image: {
      name: `${record.name}-root-disk`,
      disk_format: diskFormat,
      container_format: 'bare',
      visibility: 'private',
      ...(original ? customPropertiesOf(original.fields) : {}),
      ...markerMetadata(ctx.restoreId, rootSource(record.id)),
    },
    size: disk.size,
    data: async () => {
      const s = await ctx.readStream(disk.stream);
      s.on('data', (chunk: Buffer) => ctx.progress(chunk.length));
      return s;
    },
    onCreated: (id) => ctx.trackAuxiliary({ kind: 'image', id }),
    signal: ctx.signal,
  });
  void step;
  return { imageId: made.id, changed: { 'image.id': { to: made.id, why } } };
}

function serverRequest(ctx: RestoreContext, step: RestoreStep, imageId: string | undefined): CreateServerRequest {
  const record = ctx.record!;
  const f = record.fields;
  const what = `server ${record.name}`;
  const flavorRef = record.refs.find((r) => r.kind === 'flavor');
  const flavorName = (f.flavor as { original_name?: string } | undefined)?.original_name;
  const flavorId = (flavorRef && ctx.targetIdOf('flavor', flavorRef.id)) ?? (flavorName ? ctx.targetIdOf('flavor', flavorName) : undefined);
  if (!flavorId) throw new Error(`${what}: its flavor ${flavorName ?? '?'} is not mapped to a flavor of the target`);
  const interfaces = Array.isArray(f.interfaces) ? (f.interfaces as Array<{ port_id: string; net_id?: string }>) : [];
  const networks = interfaces.map((iface) => {
    const port = ctx.targetIdOf('port', iface.port_id);
    if (port) return { port };
    if (iface.net_id) return { uuid: ctx.requireTargetId('network', iface.net_id, what) };
    throw new Error(`${what}: port ${iface.port_id} was not restored`);
  });
  const keyRef = record.refs.find((r) => r.kind === 'keypair');
  // key_name mapped to null: another user's keypair the backup could not read (booted without one)
  const noKey = 'key_name' in step.mappedFields && step.mappedFields.key_name!.to === null;
  const keyName = noKey ? undefined : keyRef ? (ctx.targetNameOf('keypair', keyRef.id) ?? str(f.key_name)) : str(f.key_name);
  const zone = 'OS-EXT-AZ:availability_zone' in step.mappedFields ? step.mappedFields['OS-EXT-AZ:availability_zone']!.to : f['OS-EXT-AZ:availability_zone'];
  const groups = Array.isArray(f.server_groups) ? (f.server_groups as string[]) : [];
  const rootVolume = str(step.params?.rootVolume);
  const request: CreateServerRequest = {
    name: step.targetName ?? record.name,
    flavorRef: flavorId,
    networks: networks.length > 0 ? networks : 'none',
    metadata: userMetadata(f.metadata),
    tags: [...userTags(f.tags), ...markerTags(ctx.restoreId, record.id)],
    ...(keyName ? { key_name: keyName } : {}),
    ...(typeof f.description === 'string' ? { description: f.description } : {}),
    ...(typeof zone === 'string' && zone !== '' ? { availability_zone: zone } : {}),
    ...(str(f['OS-EXT-SRV-ATTR:user_data']) ? { user_data: String(f['OS-EXT-SRV-ATTR:user_data']) } : {}),
    ...(f.config_drive === true || f.config_drive === 'True' ? { config_drive: true } : {}),
  };
  if (groups[0]) request['os:scheduler_hints'] = { group: ctx.requireTargetId('server_group', groups[0], what) };
  if (rootVolume) {
    request.block_device_mapping_v2 = [{ boot_index: 0, uuid: ctx.requireTargetId('volume', rootVolume, what), source_type: 'volume', destination_type: 'volume', delete_on_termination: false }];
  } else if (imageId) {
    request.imageRef = imageId;
  }
  return request;
}

async function waitActive(ctx: RestoreContext, id: string): Promise<Server> {
  try {
    const server = await (await nova(ctx)).waitForServer(id, ['ACTIVE'], { ...WAIT, signal: ctx.signal });
    if (!server) throw new Error(`server ${id} disappeared while it booted`);
    return server;
  } catch (err) {
    const fault = await (await nova(ctx)).findServer(id).then((s) => (s?.fault as { message?: string } | undefined)?.message).catch(() => undefined);
    throw new Error(`${errorMessage(err)}${fault ? `: ${fault}` : ''}`);
  }
}

async function findServerByMarker(ctx: RestoreContext, sourceId: string): Promise<Server | undefined> {
  const client = await nova(ctx);
  const found: Server[] = [];
  for await (const s of client.http.paginate<Server>({ path: '/servers/detail', itemsKey: 'servers', searchParams: { tags: markerTags(ctx.restoreId, sourceId).join(',') }, style: 'links' })) found.push(s);
  return found[0];
}

const server: KindRestorer = {
  async findExisting(ctx, step) {
    const found = await findServerByMarker(ctx, step.sourceId);
    if (!found) return undefined;
    if (found.status === 'ERROR') {
      await this.delete(ctx, step, found.id);
      return undefined;
    }
    if (found.status !== 'ACTIVE') await waitActive(ctx, found.id);
    return found.id;
  },
  async create(ctx, step) {
    if (!ctx.record) throw new Error(`server ${step.name}: the snapshot has no record of it`);
    const { imageId, changed } = await bootImage(ctx, step);
    const { 'os:scheduler_hints': hints, ...request } = serverRequest(ctx, step, imageId);
    // scheduler hints travel next to "server", not inside it
    const client = await nova(ctx);
    const made = (await client.http.request<{ server: { id: string } }>({ method: 'POST', path: '/servers', json: { server: request, ...(hints ? { 'os:scheduler_hints': hints } : {}) } })).body.server;
    await waitActive(ctx, made.id);
    if (typeof ctx.record.fields['OS-EXT-SRV-ATTR:user_data'] !== 'string' && ctx.record.fields['OS-EXT-SRV-ATTR:user_data'] === undefined) {
      ctx.note(`server ${ctx.record.name}: its user data was not readable when it was backed up (admin-only attribute): booted without user data`);
    }
    return { id: made.id, changed };
  },
  async update(ctx, step, targetId) {
    // rebuild: the existing server gets its backed-up root disk (ports and volumes stay)
    if (!ctx.record) throw new Error(`server ${step.name}: the snapshot has no record of it`);
    const { imageId, changed } = await bootImage(ctx, step);
    if (!imageId) throw new Error(`server ${step.name} boots from a volume: overwrite its volume instead`);
    const client = await nova(ctx);
    await client.rebuild(targetId, { imageRef: imageId, metadata: userMetadata(ctx.record.fields.metadata) });
    await waitActive(ctx, targetId);
    return { id: targetId, changed };
  },
  async finish(ctx, _step, id) {
    const f = ctx.record?.fields ?? {};
    const client = await nova(ctx);
    const status = String(f.status ?? 'ACTIVE');
    if (status === 'ACTIVE') {
      // an overwrite interrupted while it had the server stopped (volume replace): running again
      const now = await client.findServer(id);
      if (now?.status === 'SHUTOFF') {
        await client.start(id);
        await client.waitForServer(id, ['ACTIVE'], WAIT);
      }
    } else if (status === 'SHUTOFF') {
      await client.stop(id);
      await client.waitForServer(id, ['SHUTOFF'], WAIT);
    } else if (status === 'PAUSED') {
      await client.pause(id);
      await client.waitForServer(id, ['PAUSED'], WAIT);
    } else if (status === 'SUSPENDED') {
      await client.http.request({ method: 'POST', path: `/servers/${encodeURIComponent(id)}/action`, json: { suspend: null } });
      await client.waitForServer(id, ['SUSPENDED'], WAIT);
    }
    if (f.locked === true) await client.lock(id, str(f.locked_reason));
  },
  async unmark(ctx, _step, id) {
    const client = await nova(ctx);
    for (const tag of await client.listServerTags(id)) {
      if (isMarkerTag(tag)) await client.http.request({ method: 'DELETE', path: `/servers/${encodeURIComponent(id)}/tags/${encodeURIComponent(tag)}` });
    }
  },
  async delete(ctx, _step, id) {
    const client = await nova(ctx);
    try {
      await client.unlock(id).catch(() => undefined);
      await client.deleteServer(id);
      await client.waitForServerDeleted(id, WAIT);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },
};

// ---------------------------------------------------------------- volume attachments

function attachmentEnds(ctx: RestoreContext, step: RestoreStep): { serverId: string; volumeId: string } {
  return {
    serverId: ctx.requireTargetId('server', String(step.params?.server ?? step.sourceId), step.name),
    volumeId: ctx.requireTargetId('volume', String(step.params?.volume), step.name),
  };
}

const volumeAttach: OperationRestorer = {
  async findExisting(ctx, step) {
    const { serverId, volumeId } = attachmentEnds(ctx, step);
    const attachments = await (await nova(ctx)).listVolumeAttachments(serverId);
    return attachments.some((a) => a.volumeId === volumeId) ? volumeId : undefined;
  },
  async apply(ctx, step) {
    const { serverId, volumeId } = attachmentEnds(ctx, step);
    const device = str(step.params?.device);
    await (await nova(ctx)).attachVolume(serverId, { volumeId, ...(device ? { device } : {}) });
    await (await cinder(ctx)).waitForVolume(volumeId, ['in-use'], WAIT);
    return { id: volumeId };
  },
  async undo(ctx, step, volumeId) {
    const serverId = ctx.targetIdOf('server', String(step.params?.server ?? step.sourceId));
    if (!serverId) return;
    try {
      // a guest without an OS (or a hung one) never acknowledges the hot-unplug: do not wait for
      // it; deleting the server (next in the rollback) releases the volume anyway
      await (await nova(ctx)).detachVolume(serverId, volumeId);
      await (await cinder(ctx)).waitForVolume(volumeId, ['available'], { timeoutMs: 60_000, intervalMs: 2000 }).catch(() => undefined);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },
};

export const computeRestore: ServiceRestoreHooks = {
  kinds: { keypair, server_group: serverGroup, flavor, server },
  operations: { 'server/volume-attach': volumeAttach },
};
