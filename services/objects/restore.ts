// Recreates Swift containers (metadata, ACLs, versioning, quotas) and objects (data streamed from
// the repository in one PUT each, content headers, metadata, expiry). Large objects are recreated
// as what they were: an SLO manifest is PUT with ?multipart-manifest=put after its segments
// (the plan orders it after them), a DLO manifest as an empty object naming its segment prefix.
// Swift has no tags: a container or object is "the same" by its name, and PUT is idempotent.
import { Readable } from 'node:stream';
import { isNotFound } from '../common/http-status.js';
import type { ResourceRecord } from '../../src/model/resource.js';
import type { KindRestorer, RestoreContext, RestoreStep, ServiceRestoreHooks } from '../restore-hooks.js';
import { ObjectClient, type ContainerSettings, type SloStoredSegment } from './client.js';
import { objectLocation, type RecordedVersion } from './export.js';

const swift = (ctx: RestoreContext) => ctx.client('object-store', (s) => ObjectClient.open(s));

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function containerSettings(ctx: RestoreContext, fields: Record<string, unknown>): ContainerSettings {
  const metadata = { ...((fields.metadata as Record<string, string> | undefined) ?? {}) };
  // quotas travel as their own settings
  delete metadata['quota-bytes'];
  delete metadata['quota-count'];
  const settings: ContainerSettings = { metadata };
  if (str(fields.read)) settings.read = String(fields.read);
  if (str(fields.write)) settings.write = String(fields.write);
  if (fields.versionsEnabled === true) settings.versionsEnabled = true;
  if (str(fields.versionsLocation)) settings.versionsLocation = String(fields.versionsLocation);
  if (str(fields.historyLocation)) settings.historyLocation = String(fields.historyLocation);
  if (num(fields.quotaBytes) !== undefined) settings.quotaBytes = num(fields.quotaBytes)!;
  if (num(fields.quotaCount) !== undefined) settings.quotaCount = num(fields.quotaCount)!;
  // storage policies are names local to a cloud
  if (ctx.sameCloud && str(fields.storagePolicy)) settings.storagePolicy = String(fields.storagePolicy);
  return settings;
}

const container: KindRestorer = {
  async findExisting(ctx, step) {
    const name = step.targetName ?? step.name;
    return (await (await swift(ctx)).findContainer(name)) ? name : undefined;
  },
  async create(ctx, step) {
    const name = step.targetName ?? step.name;
    const fields = ctx.record?.fields ?? {};
    await (await swift(ctx)).createContainer(name, containerSettings(ctx, fields));
    await restoreOlderVersions(ctx, name, fields);
    const withheld = Array.isArray(fields.withheld_metadata) ? (fields.withheld_metadata as string[]) : [];
    const changed: Record<string, { to: unknown; why: string }> = {};
    if (withheld.length > 0) {
      ctx.note(`container ${name}: ${withheld.join(', ')} (temp-URL keys) were not backed up: set them again`);
      for (const key of withheld) changed[`metadata.${key}`] = { to: undefined, why: 'secret: not in the backup' };
    }
    return { id: name, changed };
  },
  async update(ctx, step, targetId) {
    await (await swift(ctx)).updateContainer(targetId, containerSettings(ctx, ctx.record?.fields ?? {}));
    void step;
    return { id: targetId };
  },
  async delete(ctx, _step, id) {
    const client = await swift(ctx);
    try {
      // versioned containers keep old versions around: empty it first (only what this restore put there is in it)
      for (const o of await client.listObjects(id)) await client.deleteObject(id, o.name).catch(() => undefined);
      await deleteOldVersions(client, id);
      await client.deleteContainer(id);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },
};

/**
 * The older versions of a versioned container (`fields.objectVersions`, oldest first per name),
 * PUT (or DELETE, for a delete marker) in their order before the objects' own steps PUT the
 * current versions: the container's history comes back in the same sequence.
 */
async function restoreOlderVersions(ctx: RestoreContext, container: string, fields: Record<string, unknown>): Promise<void> {
  const versions = Array.isArray(fields.objectVersions) ? (fields.objectVersions as RecordedVersion[]) : [];
  if (versions.length === 0 || fields.versionsEnabled !== true) return;
  const client = await swift(ctx);
  for (const v of versions) {
    if (v.current) continue;
    if (v.deleteMarker) {
      await client.deleteObject(container, v.name).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
      continue;
    }
    if (!v.stream) continue;
    const size = ctx.record?.data?.find((d) => d.stream === v.stream)?.size ?? v.bytes;
    const body = await ctx.readStream(v.stream);
    body.on('data', (chunk: Buffer) => ctx.progress(chunk.length));
    const deleteAt = typeof v.deleteAt === 'number' && v.deleteAt * 1000 > Date.now() ? { deleteAt: v.deleteAt } : {};
    await client.putObject(container, v.name, body, {
      contentLength: size,
      ...(v.content_type ? { contentType: v.content_type } : {}),
      ...(v.contentEncoding ? { contentEncoding: v.contentEncoding } : {}),
      ...(v.contentDisposition ? { contentDisposition: v.contentDisposition } : {}),
      metadata: v.metadata ?? {},
      ...deleteAt,
    });
  }
}

function objectTarget(ctx: RestoreContext, step: RestoreStep): { container: string; name: string; oldContainer: string } {
  if (!ctx.record) throw new Error(`object ${step.name}: the snapshot has no record of it`);
  const { container: oldContainer, name } = objectLocation(ctx.record);
  const container = ctx.targetNameOf('container', oldContainer) ?? oldContainer;
  return { container, name, oldContainer };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

const object: KindRestorer = {
  async findExisting(ctx, step) {
    const { container, name } = objectTarget(ctx, step);
    const info = await (await swift(ctx)).findObject(container, name);
    const hash = str(ctx.record?.fields.hash);
    return info && hash && info.etag === hash ? `${container}/${name}` : undefined;
  },
  async create(ctx, step) {
    const record = ctx.record!;
    const f = record.fields;
    const { container, name } = objectTarget(ctx, step);
    const client = await swift(ctx);
    const stream = record.data?.[0];
    const largeObject = f.largeObject as { type?: string; prefix?: string } | undefined;
    const deleteAt = num(f.deleteAt);
    const changed: Record<string, { to: unknown; why: string }> = {};
    const expiry = deleteAt !== undefined && deleteAt * 1000 > Date.now() ? { deleteAt } : {};
    if (deleteAt !== undefined && !('deleteAt' in expiry)) changed.deleteAt = { to: undefined, why: 'its expiry time has passed' };
    const opts = {
      ...(str(f.contentType ?? f.content_type) ? { contentType: String(f.contentType ?? f.content_type) } : {}),
      ...(str(f.contentEncoding) ? { contentEncoding: String(f.contentEncoding) } : {}),
      ...(str(f.contentDisposition) ? { contentDisposition: String(f.contentDisposition) } : {}),
      metadata: (f.metadata as Record<string, string> | undefined) ?? {},
      ...expiry,
    };
    const dloPrefix = str(f.objectManifest) ?? (largeObject?.type === 'dlo' ? str(largeObject.prefix) : undefined);
    const link = symlinkOf(ctx, record);
    if (link) {
      await client.http.request({
        method: 'PUT',
        path: `${client.http.endpoint}/${encodeURIComponent(container)}/${name.split('/').map(encodeURIComponent).join('/')}`,
        headers: { 'X-Symlink-Target': link.target, ...(link.account ? { 'X-Symlink-Target-Account': link.account } : {}), 'Content-Length': '0', ...(str(f.content_type) ? { 'Content-Type': String(f.content_type) } : {}) },
        body: '',
      });
    } else if (dloPrefix) {
      await client.putDloManifest(container, name, dloPrefix, opts);
    } else if (f.staticLargeObject === true || largeObject?.type === 'slo') {
      if (!stream) throw new Error(`SLO manifest ${container}/${name}: the snapshot holds no manifest`);
      const segments = JSON.parse((await readAll(await ctx.readStream(stream.stream))).toString('utf8')) as SloStoredSegment[];
      await client.putSloManifest(container, name, segments.map((s) => ({ path: s.name, etag: s.hash, size_bytes: s.bytes, ...(s.range ? { range: s.range } : {}) })), opts);
    } else {
      if (!stream) throw new Error(`object ${container}/${name}: the snapshot holds no data for it (${record.reason ?? 'not exported'})`);
      const body = await ctx.readStream(stream.stream);
      body.on('data', (chunk: Buffer) => ctx.progress(chunk.length));
      await client.putObject(container, name, body, { ...opts, contentLength: stream.size });
    }
    return { id: `${container}/${name}`, changed };
  },
  async update(ctx, step, targetId) {
    // replace-data: a PUT overwrites an object in place
    const made = await this.create(ctx, step);
    return { ...made, id: targetId };
  },
  async delete(ctx, _step, id) {
    const slash = id.indexOf('/');
    try {
      await (await swift(ctx)).deleteObject(id.slice(0, slash), id.slice(slash + 1));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },
};

/**
 * A Swift symlink (the listing's `symlink_path`, `/v1/<account>/<container>/<object>`): its
 * target as `<container>/<object>`, the container renamed as the restore renamed it. A link into
 * the project's own account names the target project's account (no account header: Swift's
 * default); a link into another account keeps naming that one. Object versioning's own links
 * (`?version-id=`) are not symlinks of the user's.
 */
function symlinkOf(ctx: RestoreContext, record: ResourceRecord): { target: string; account?: string } | undefined {
  const linkPath = str(record.fields.symlink_path);
  if (!linkPath || linkPath.includes('version-id=')) return undefined;
  const match = /^\/v1\/([^/]+)\/([^/]+)\/(.+)$/.exec(linkPath);
  if (!match) return undefined;
  const [, account, rawContainer, object] = match as unknown as [string, string, string, string];
  const container = decodeURIComponent(rawContainer);
  const own = record.projectId !== undefined && account.endsWith(record.projectId);
  const targetContainer = ctx.targetNameOf('container', container) ?? container;
  return { target: `${encodeURIComponent(targetContainer)}/${object}`, ...(own ? {} : { account }) };
}

/** Swift's object versioning refuses to delete a container while old versions exist (409). */
async function deleteOldVersions(client: ObjectClient, container: string): Promise<void> {
  const path = `${client.http.endpoint}/${encodeURIComponent(container)}`;
  await client.updateContainer(container, { versionsEnabled: false }).catch(() => undefined);
  const res = await client.http.request<unknown>({ path, searchParams: { versions: '', format: 'json' }, okStatus: [200, 204, 404] }).catch(() => undefined);
  const items = Array.isArray(res?.body) ? (res.body as Array<{ name: string; version_id?: string }>) : [];
  for (const item of items) {
    if (!item.version_id || item.version_id === 'null') continue;
    await client.http
      .request({ method: 'DELETE', path: `${path}/${item.name.split('/').map(encodeURIComponent).join('/')}`, searchParams: { 'version-id': item.version_id }, okStatus: [200, 204, 404] })
      .catch(() => undefined);
  }
}

export const objectRestore: ServiceRestoreHooks = { kinds: { container, object } };
