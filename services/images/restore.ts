// Recreates Glance images from the snapshot: metadata (formats, min disk/RAM, visibility, tags,
// custom properties) and data streamed from the repository straight into Glance. `protected`
// is set last (in finish), so that a rollback can still delete the image until the restore is done.
import { isNotFound } from '../common/http-status.js';
import { markerMetadata, isMarkerKey, RESTORE_META_KEY, SOURCE_META_KEY } from '../restore-marker.js';
import type { KindRestorer, RestoreContext, RestoreStep, ServiceRestoreHooks } from '../restore-hooks.js';
import { IMAGE_CORE_FIELDS, ImageClient, type CreateImageRequest } from './client.js';
import { uploadImage } from './upload-image.js';

export const glance = (ctx: RestoreContext) => ctx.client('image', (s) => ImageClient.open(s));

/** Keys Glance computes or reserves: never sent back. */
const READ_ONLY = new Set([...IMAGE_CORE_FIELDS, 'members', 'owner_specified.openstack.md5', 'owner_specified.openstack.sha256', 'owner_specified.openstack.object']);

/** The custom properties of an image record (string values only, as Glance stores them). */
export function customPropertiesOf(fields: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (READ_ONLY.has(k) || k.startsWith('os_glance') || isMarkerKey(k) || typeof v !== 'string') continue;
    out[k] = v;
  }
  return out;
}

async function findByMarker(ctx: RestoreContext, sourceId: string): Promise<string | undefined> {
  const client = await glance(ctx);
  const images = await client.listImages({ owner: ctx.projectId, [RESTORE_META_KEY]: ctx.restoreId } as Record<string, string>);
  const found = images.find((i) => i[RESTORE_META_KEY] === ctx.restoreId && i[SOURCE_META_KEY] === sourceId);
  if (!found) return undefined;
  if (found.status === 'active') return found.id;
  // a crashed run left it half uploaded: start again
  await deleteImage(ctx, found.id);
  return undefined;
}

const image: KindRestorer = {
  findExisting: (ctx, step) => findByMarker(ctx, step.sourceId),
  async create(ctx, step) {
    const record = ctx.record;
    if (!record) throw new Error(`image ${step.name}: the snapshot has no record of it`);
    const f = record.fields;
    const stream = record.data?.[0];
    if (!stream) throw new Error(`image ${record.name}: the snapshot holds no data for it (${record.reason ?? 'not exported'})`);
    const visibility = f.visibility === 'public' || f.visibility === 'community' ? 'private' : (f.visibility as CreateImageRequest['visibility']);
    const request: CreateImageRequest = {
      name: step.targetName ?? record.name,
      ...(typeof f.disk_format === 'string' ? { disk_format: f.disk_format } : {}),
      ...(typeof f.container_format === 'string' ? { container_format: f.container_format } : {}),
      ...(visibility ? { visibility } : {}),
      min_disk: Number(f.min_disk ?? 0),
      min_ram: Number(f.min_ram ?? 0),
      tags: Array.isArray(f.tags) ? (f.tags as string[]) : [],
      ...customPropertiesOf(f),
      ...markerMetadata(ctx.restoreId, record.id),
    };
    if (f.os_hidden === true) request.os_hidden = true;
    const client = await glance(ctx);
    const made = await uploadImage(client, {
      image: request,
      size: stream.size,
      data: async () => {
        const s = await ctx.readStream(stream.stream);
        s.on('data', (chunk: Buffer) => ctx.progress(chunk.length));
        return s;
      },
      signal: ctx.signal,
    });
    const changed: Record<string, { to: unknown; why: string }> = {};
    if (visibility !== f.visibility) {
      changed.visibility = { to: visibility, why: `a ${String(f.visibility)} image needs the admin role to publish: restored private` };
      ctx.note(`image ${record.name} was ${String(f.visibility)}: restored as private (publishing needs admin)`);
    }
    await addMembers(ctx, made.id, f.members);
    return { id: made.id, changed };
  },
  async update(ctx, step, targetId) {
    const record = ctx.record;
    if (!record) throw new Error(`image ${step.name}: the snapshot has no record of it`);
    const client = await glance(ctx);
    await client.updateImage(targetId, { ...customPropertiesOf(record.fields), min_disk: record.fields.min_disk, min_ram: record.fields.min_ram });
    return { id: targetId };
  },
  async finish(ctx, _step, targetId) {
    if (ctx.record?.fields.protected === true) await (await glance(ctx)).updateImage(targetId, { protected: true });
  },
  async delete(ctx, _step, id) {
    await deleteImage(ctx, id);
  },
  async unmark(ctx, _step, id) {
    // a property set to null is removed (json-patch.ts)
    await (await glance(ctx)).updateImage(id, { [RESTORE_META_KEY]: null, [SOURCE_META_KEY]: null });
  },
};

export async function deleteImage(ctx: RestoreContext, id: string): Promise<void> {
  const client = await glance(ctx);
  try {
    await client.updateImage(id, { protected: false }).catch(() => undefined);
    await client.deleteImage(id);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Sharing with other projects only makes sense in the same cloud, and only for projects still there. */
async function addMembers(ctx: RestoreContext, imageId: string, members: unknown): Promise<void> {
  if (!Array.isArray(members) || members.length === 0) return;
  if (!ctx.sameCloud) {
    ctx.note(`image ${imageId}: its ${members.length} member project(s) belong to the source cloud: not shared in the target`);
    return;
  }
  const client = await glance(ctx);
  for (const m of members as Array<{ member_id?: string }>) {
    if (!m.member_id || m.member_id === ctx.projectId) continue;
    try {
      await client.addMember(imageId, m.member_id);
    } catch (err) {
      ctx.note(`image ${imageId}: could not share with project ${m.member_id} (${err instanceof Error ? err.message : String(err)})`);
    }
  }
}

export const imageRestore: ServiceRestoreHooks = { kinds: { image } };
export type { RestoreStep };
