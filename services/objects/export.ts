// Data export of Swift objects: one GET per object into the stream `object/<container>/<name>`
// (content-defined chunks, so an edited object shares most chunks with its previous version).
// Every GET asks for `multipart-manifest=get`, so large objects stay what they are:
//   SLO manifest → the stream holds the manifest JSON exactly as Swift returns it;
//   DLO manifest → the stream holds the manifest object itself (usually empty), and its
//                  `X-Object-Manifest` prefix is recorded;
// the segments are ordinary objects of their own container and are exported as data like any
// other object. Plain objects are checked against Swift's etag (md5).
//
// Versioned containers (`X-Versions-Enabled: true`, Swift's object_versioning): the older
// versions live in a hidden container that no listing shows; `GET <container>?versions` lists
// every version of every name. Each older version's bytes go into the stream
// `object_version/<container>/<version_id>/<name>` and the container record gets
// `fields.objectVersions`: every version (delete markers included) per name, oldest first, so a
// restore can PUT (or DELETE, for a marker) them in that order and finish with the current
// object. Legacy versioning (X-Versions-Location / X-History-Location) keeps old versions as
// ordinary objects of another container of the account: they are exported as such.
//
// The account's metadata and quota are a service fact of the manifest (`services[].facts.account`).
import type { ResourceRecord } from '../../src/model/resource.js';
import type { DataStreamRef } from '../../src/model/resource.js';
import type { ServiceClient } from '../../src/openstack/types.js';
import { ResourceGoneError, type DataExportContext, type ExportDataHook } from '../data-export.js';
import { errorMessage, isNotFound } from '../common/http-status.js';
import { seg } from '../common/api-path.js';
import { ObjectClient, parseObjectHeaders } from './client.js';
import { withoutSecrets } from './headers.js';

/** Container and object name of an object record (`fields`, else the `<container>/<name>` ID). */
export function objectLocation(record: ResourceRecord): { container: string; name: string } {
  const f = record.fields;
  const container = typeof f.container === 'string' ? f.container : undefined;
  const name = typeof f.name === 'string' ? f.name : typeof f.object === 'string' ? f.object : undefined;
  if (container !== undefined && name !== undefined) return { container, name };
  const slash = record.id.indexOf('/');
  if (slash <= 0) throw new Error(`object record ${record.id} names no container`);
  return { container: record.id.slice(0, slash), name: record.id.slice(slash + 1) };
}

/** `/container/a/b c` with each path segment percent-encoded (object names may hold any UTF-8). */
export function objectPath(container: string, name: string): string {
  return `/${seg(container)}/${name.split('/').map(seg).join('/')}`;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export const exportObjectData: ExportDataHook = async (ctx, records) => {
  const swift = await ctx.session.client('object-store');
  await recordAccount(ctx);
  const versionJobs = records
    .filter((r) => r.kind === 'container' && r.fields.versionsEnabled === true)
    .map((record) => ({
      kind: 'container' as const,
      id: record.id,
      lane: 'small' as const,
      transfer: () => exportVersions(swift, record.name, ctx),
    }));
  const objectJobs = records
    .filter((r) => r.kind === 'object')
    .map((record) => ({
      kind: 'object' as const,
      id: record.id,
      lane: 'small' as const,
      size: record.size,
      async transfer() {
        const { container, name } = objectLocation(record);
        const streamName = `object/${container}/${name}`;
        let response;
        try {
          response = await swift.download({ path: objectPath(container, name), searchParams: { 'multipart-manifest': 'get' } });
        } catch (err) {
          if (isNotFound(err)) throw new ResourceGoneError(`object ${container}/${name}`);
          throw err;
        }
        const { stream, headers } = response;
        const slo = /^true$/i.test(header(headers, 'x-static-large-object') ?? '');
        const dloPrefix = header(headers, 'x-object-manifest');
        const etag = header(headers, 'etag')?.replace(/"/g, '');
        const out = await ctx.writeStream(streamName, stream, { chunker: 'cdc', expectedSize: record.size });
        // For a plain object (and an SLO manifest read with multipart-manifest=get) the etag is
        // the md5 of the bytes served; a DLO manifest's etag describes its segments instead.
        if (!dloPrefix && etag && out.md5 !== etag) {
          throw new Error(`md5 of the bytes Swift served for ${container}/${name} (${out.md5}) differs from its etag ${etag}`);
        }
        const largeObject = slo ? { type: 'slo', manifestStream: streamName } : dloPrefix ? { type: 'dlo', prefix: dloPrefix } : undefined;
        return {
          data: [{ stream: streamName, size: out.size, sha256: out.sha256, ...(etag ? { cloudChecksum: `etag:${etag}` } : {}) }],
          ...(largeObject ? { fields: { largeObject } } : {}),
        };
      },
    }));
  return [...objectJobs, ...versionJobs];
};

/** Account metadata (temp-URL keys withheld) and quota, as the manifest's `objects` fact. */
async function recordAccount(ctx: DataExportContext): Promise<void> {
  if (!ctx.serviceFact) return;
  try {
    const account = await (await ObjectClient.open(ctx.session, undefined, { projectId: ctx.projectId })).getAccount();
    const { metadata, withheld } = withoutSecrets(account.metadata);
    ctx.serviceFact('objects', 'account', {
      metadata,
      ...(withheld.length > 0 ? { withheld_metadata: withheld } : {}),
      ...(account.quotaBytes !== undefined ? { quotaBytes: account.quotaBytes } : {}),
      containerCount: account.containerCount,
      objectCount: account.objectCount,
      bytesUsed: account.bytesUsed,
    });
  } catch (err) {
    ctx.serviceFact('objects', 'account', { error: `account metadata could not be read: ${errorMessage(err)}` });
  }
}

/** One entry of `GET <container>?versions`. */
interface VersionListing {
  name: string;
  bytes: number;
  hash: string;
  content_type: string;
  last_modified: string;
  version_id: string;
  is_latest: boolean;
}

/** One version as recorded in the container's `fields.objectVersions` (oldest first per name). */
export interface RecordedVersion {
  name: string;
  version_id: string;
  is_latest: boolean;
  /** A delete marker: the object was deleted at this point (no data). */
  deleteMarker: boolean;
  bytes: number;
  hash: string;
  content_type: string;
  last_modified: string;
  /** Older data versions: their stream, metadata and content headers. */
  stream?: string;
  sha256?: string;
  metadata?: Record<string, string>;
  contentEncoding?: string;
  contentDisposition?: string;
  deleteAt?: number;
  /** The latest data version is the object record itself (`object/<container>/<name>`). */
  current?: boolean;
}

const VERSIONS_PAGE = 1000;

async function listVersions(swift: ServiceClient, container: string): Promise<VersionListing[]> {
  const out: VersionListing[] = [];
  let marker: string | undefined;
  let versionMarker: string | undefined;
  for (;;) {
    const res = await swift.request<unknown>({
      path: `/${seg(container)}`,
      searchParams: { versions: '', format: 'json', limit: VERSIONS_PAGE, marker, version_marker: versionMarker },
    });
    const raw = res.body;
    const page = (typeof raw === 'string' ? JSON.parse(raw || '[]') : Buffer.isBuffer(raw) ? JSON.parse(raw.toString('utf8') || '[]') : (raw ?? [])) as VersionListing[];
    if (!Array.isArray(page) || page.length === 0) break;
    out.push(...page);
    if (page.length < VERSIONS_PAGE) break;
    const last = page[page.length - 1]!;
    marker = last.name;
    versionMarker = last.version_id;
  }
  return out;
}

function isDeleteMarker(v: VersionListing): boolean {
  return v.content_type.startsWith('application/x-deleted');
}

/** Every older version of a versioned container into the repository; the list into the record. */
async function exportVersions(swift: ServiceClient, container: string, ctx: DataExportContext): Promise<{ data: DataStreamRef[]; fields: Record<string, unknown> }> {
  ctx.progress.step('container', container, 'list object versions');
  let listing: VersionListing[];
  try {
    listing = await listVersions(swift, container);
  } catch (err) {
    if (isNotFound(err)) throw new ResourceGoneError(`container ${container}`);
    throw err;
  }
  // Swift lists each name's versions newest first; a restore needs them oldest first.
  const byName = new Map<string, VersionListing[]>();
  for (const v of listing) byName.set(v.name, [...(byName.get(v.name) ?? []), v]);
  const versions: RecordedVersion[] = [];
  const data: DataStreamRef[] = [];
  for (const [name, list] of byName) {
    for (const v of [...list].reverse()) {
      const entry: RecordedVersion = {
        name,
        version_id: v.version_id,
        is_latest: v.is_latest,
        deleteMarker: isDeleteMarker(v),
        bytes: v.bytes,
        hash: v.hash,
        content_type: v.content_type,
        last_modified: v.last_modified,
      };
      versions.push(entry);
      if (entry.deleteMarker) continue;
      if (v.is_latest) {
        entry.current = true;
        continue;
      }
      ctx.progress.step('container', container, `version ${v.version_id} of ${name}`);
      const streamName = `object_version/${container}/${v.version_id}/${name}`;
      let response;
      try {
        response = await swift.download({ path: objectPath(container, name), searchParams: { 'version-id': v.version_id, 'multipart-manifest': 'get' } });
      } catch (err) {
        // removed meanwhile (a version can be deleted on its own): left out
        if (isNotFound(err)) {
          versions.pop();
          continue;
        }
        throw err;
      }
      const info = parseObjectHeaders(container, name, response.headers);
      const out = await ctx.writeStream(streamName, response.stream, { chunker: 'cdc', expectedSize: v.bytes });
      if (!info.objectManifest && info.etag && out.md5 !== info.etag) {
        throw new Error(`md5 of the bytes Swift served for version ${v.version_id} of ${container}/${name} (${out.md5}) differs from its etag ${info.etag}`);
      }
      entry.stream = streamName;
      entry.sha256 = out.sha256;
      entry.metadata = info.metadata;
      if (info.contentEncoding !== undefined) entry.contentEncoding = info.contentEncoding;
      if (info.contentDisposition !== undefined) entry.contentDisposition = info.contentDisposition;
      if (info.deleteAt !== undefined) entry.deleteAt = info.deleteAt;
      data.push({ stream: streamName, size: out.size, sha256: out.sha256, ...(info.etag ? { cloudChecksum: `etag:${info.etag}` } : {}) });
    }
  }
  return { data, fields: { objectVersions: versions } };
}
