// Typed client for Swift (object storage API v1): account, containers (metadata, ACLs,
// versioning, storage policy, quotas) and objects (metadata, content headers, expiry, SLO and
// DLO large objects, unicode names, pseudo-folders). Object data is streamed both ways.
import type { Readable } from 'node:stream';
import type { ServiceClient, Session } from '../../src/openstack/types.js';
import { collect } from '../common/limit.js';
import { orUndefinedIfNotFound } from '../common/http-status.js';
import { encodeHeaderValue, header, metadataFrom, metadataHeaders, numberHeader, type HeaderBag } from './headers.js';

export interface AccountInfo {
  containerCount: number;
  objectCount: number;
  bytesUsed: number;
  metadata: Record<string, string>;
  quotaBytes?: number;
}

export interface ContainerListing {
  name: string;
  count: number;
  bytes: number;
  last_modified?: string;
}

export interface ContainerInfo {
  name: string;
  objectCount: number;
  bytesUsed: number;
  metadata: Record<string, string>;
  read?: string;
  write?: string;
  storagePolicy?: string;
  /** Legacy versioned_writes: stack mode (X-Versions-Location) or history mode (X-History-Location). */
  versionsLocation?: string;
  historyLocation?: string;
  /** object_versioning middleware (X-Versions-Enabled). */
  versionsEnabled?: boolean;
  syncTo?: string;
  /** Container quotas are metadata keys quota-bytes / quota-count. */
  quotaBytes?: number;
  quotaCount?: number;
}

/** What a container PUT/POST sets: its settable fields, metadata, and metadata keys to remove. */
export type ContainerSettings = Partial<Pick<ContainerInfo, SettableContainerField | 'metadata'>> & { removeMetadata?: string[] };

type SettableContainerField = 'read' | 'write' | 'storagePolicy' | 'versionsLocation' | 'historyLocation' | 'versionsEnabled' | 'quotaBytes' | 'quotaCount';

export interface ObjectListing {
  name: string;
  bytes: number;
  hash: string;
  content_type: string;
  last_modified: string;
  /** Present for SLO manifests (etag of the concatenated segments). */
  slo_etag?: string;
  symlink_path?: string;
}

/** A pseudo-folder entry of a listing with a delimiter. */
export interface SubdirListing {
  subdir: string;
}

export interface ObjectInfo {
  container: string;
  name: string;
  contentLength: number;
  contentType?: string;
  etag?: string;
  lastModified?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  deleteAt?: number;
  metadata: Record<string, string>;
  /** DLO: `<container>/<prefix>` of the segments. */
  objectManifest?: string;
  /** SLO manifest. */
  staticLargeObject: boolean;
  symlinkTarget?: string;
}

export interface PutObjectOptions {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLength?: number;
  etag?: string;
  metadata?: Record<string, string>;
  deleteAt?: number;
  deleteAfter?: number;
  /** DLO manifest: `<container>/<prefix>`; the body is then empty. */
  objectManifest?: string;
  timeoutMs?: number;
}

/** One segment of an SLO manifest, as PUT ?multipart-manifest=put takes it. */
export interface SloSegment {
  path: string;
  etag?: string | null;
  size_bytes?: number | null;
  range?: string;
}

/** One segment as GET ?multipart-manifest=get returns it. */
export interface SloStoredSegment {
  name: string;
  hash: string;
  bytes: number;
  content_type?: string;
  last_modified?: string;
  range?: string;
}

/** Encodes an object name for a URL path; keeps `/` so pseudo-folders stay readable. */
export function objectPath(container: string, name?: string): string {
  const c = `/${encodeURIComponent(container)}`;
  return name === undefined ? c : `${c}/${name.split('/').map(encodeURIComponent).join('/')}`;
}

export class ObjectClient {
  /**
   * @param accountUrl another account than the endpoint's (an admin or reseller admin working
   * on another project's account); every path is then made absolute on it.
   */
  constructor(
    readonly http: ServiceClient,
    private readonly pageSize?: number,
    readonly accountUrl?: string,
  ) {}

  /**
   * Client on the session's object-store endpoint. With `projectId` other than the session's
   * project, the account URL is the endpoint's with the project ID swapped (`AUTH_<id>`).
   */
  static async open(session: Session, pageSize?: number, opts: { projectId?: string } = {}): Promise<ObjectClient> {
    const http = await session.client('object-store');
    const own = session.project?.id;
    if (!opts.projectId || opts.projectId === own || !own) return new ObjectClient(http, pageSize);
    const endpoint = http.endpoint.replace(/\/+$/, '');
    if (!endpoint.endsWith(own)) {
      throw new Error(`cannot derive the Swift account of project ${opts.projectId} from endpoint ${endpoint}`);
    }
    return new ObjectClient(http, pageSize, endpoint.slice(0, endpoint.length - own.length) + opts.projectId);
  }

  /** Path relative to the endpoint, or absolute on `accountUrl`. */
  private at(path: string): string {
    return this.accountUrl ? this.accountUrl + path : path;
  }

  // Account
  async getAccount(): Promise<AccountInfo> {
    const res = await this.http.request({ method: 'HEAD', path: this.at('') });
    const h = res.headers;
    const info: AccountInfo = {
      containerCount: numberHeader(h, 'x-account-container-count') ?? 0,
      objectCount: numberHeader(h, 'x-account-object-count') ?? 0,
      bytesUsed: numberHeader(h, 'x-account-bytes-used') ?? 0,
      metadata: metadataFrom(h, 'account'),
    };
    const quota = numberHeader(h, 'x-account-meta-quota-bytes');
    if (quota !== undefined) info.quotaBytes = quota;
    return info;
  }
  async updateAccountMetadata(metadata: Record<string, string>, remove: string[] = []): Promise<void> {
    await this.http.request({ method: 'POST', path: this.at(''), headers: metadataHeaders('account', metadata, remove) });
  }

  // Containers
  listContainers(opts: { prefix?: string } = {}): Promise<ContainerListing[]> {
    return collect(this.http.paginate<ContainerListing>({ path: this.at(''), style: 'swift', pageSize: this.pageSize, searchParams: { format: 'json', prefix: opts.prefix } }));
  }
  async headContainer(name: string): Promise<ContainerInfo> {
    const res = await this.http.request({ method: 'HEAD', path: this.at(objectPath(name)) });
    return parseContainerHeaders(name, res.headers);
  }
  findContainer(name: string): Promise<ContainerInfo | undefined> {
    return orUndefinedIfNotFound(() => this.headContainer(name));
  }
  /** Creates (or updates, PUT is idempotent) a container. */
  async createContainer(name: string, settings: ContainerSettings = {}): Promise<void> {
    await this.http.request({ method: 'PUT', path: this.at(objectPath(name)), headers: containerHeaders(settings) });
  }
  async updateContainer(name: string, settings: ContainerSettings): Promise<void> {
    await this.http.request({ method: 'POST', path: this.at(objectPath(name)), headers: containerHeaders(settings) });
  }
  /** Deletes an empty container (409 when it still holds objects). */
  async deleteContainer(name: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: this.at(objectPath(name)) });
  }

  // Objects
  listObjects(container: string, opts: { prefix?: string } = {}): Promise<ObjectListing[]> {
    return collect(this.http.paginate<ObjectListing>({ path: this.at(objectPath(container)), style: 'swift', pageSize: this.pageSize, searchParams: { format: 'json', prefix: opts.prefix } }));
  }
  /** One level of a pseudo-folder tree (objects and `subdir` entries). */
  listFolder(container: string, prefix: string, delimiter = '/'): Promise<Array<ObjectListing | SubdirListing>> {
    return collect(this.http.paginate<ObjectListing | SubdirListing>({ path: this.at(objectPath(container)), style: 'swift', pageSize: this.pageSize, searchParams: { format: 'json', prefix, delimiter } }));
  }
  async headObject(container: string, name: string): Promise<ObjectInfo> {
    const res = await this.http.request({ method: 'HEAD', path: this.at(objectPath(container, name)) });
    return parseObjectHeaders(container, name, res.headers);
  }
  findObject(container: string, name: string): Promise<ObjectInfo | undefined> {
    return orUndefinedIfNotFound(() => this.headObject(container, name));
  }
  /**
   * Streams an object. For a large object, `manifest: true` returns the manifest itself
   * (SLO: the JSON segment list; DLO: the empty manifest object) instead of the joined segments.
   */
  async getObject(container: string, name: string, opts: { manifest?: boolean; timeoutMs?: number } = {}): Promise<{ stream: Readable; info: ObjectInfo }> {
    const { stream, headers } = await this.http.download({
      path: this.at(objectPath(container, name)),
      searchParams: opts.manifest ? { 'multipart-manifest': 'get' } : undefined,
      timeoutMs: opts.timeoutMs ?? 6 * 60 * 60_000,
    });
    return { stream, info: parseObjectHeaders(container, name, headers) };
  }
  /** Uploads an object from a stream (chunked when no length is given) or a small buffer. */
  async putObject(container: string, name: string, body: Readable | Buffer | string, opts: PutObjectOptions = {}): Promise<{ etag?: string }> {
    const res = await this.http.request({
      method: 'PUT',
      path: this.at(objectPath(container, name)),
      headers: objectHeaders(opts),
      body,
      retry: typeof body === 'string' || Buffer.isBuffer(body) ? undefined : false,
      timeoutMs: opts.timeoutMs ?? 6 * 60 * 60_000,
    });
    const etag = header(res.headers, 'etag');
    return etag === undefined ? {} : { etag: etag.replace(/"/g, '') };
  }
  /** Creates a DLO manifest: an empty object whose X-Object-Manifest names the segments. */
  putDloManifest(container: string, name: string, segmentsPrefix: string, opts: Omit<PutObjectOptions, 'objectManifest'> = {}): Promise<{ etag?: string }> {
    return this.putObject(container, name, Buffer.alloc(0), { ...opts, objectManifest: segmentsPrefix });
  }
  /** Creates an SLO manifest from already uploaded segments. */
  async putSloManifest(container: string, name: string, segments: SloSegment[], opts: Omit<PutObjectOptions, 'objectManifest' | 'contentLength' | 'etag'> = {}): Promise<void> {
    await this.http.request({
      method: 'PUT',
      path: this.at(objectPath(container, name)),
      searchParams: { 'multipart-manifest': 'put' },
      headers: { ...objectHeaders(opts), 'content-type': opts.contentType ?? 'application/octet-stream' },
      body: JSON.stringify(segments),
    });
  }
  /** Reads an SLO manifest's segment list (small JSON, so it is parsed in memory). */
  async getSloManifest(container: string, name: string): Promise<SloStoredSegment[]> {
    const res = await this.http.request<unknown>({ path: this.at(objectPath(container, name)), searchParams: { 'multipart-manifest': 'get' } });
    const body = typeof res.body === 'string' ? (JSON.parse(res.body) as unknown) : Buffer.isBuffer(res.body) ? (JSON.parse(res.body.toString('utf8')) as unknown) : res.body;
    if (!Array.isArray(body)) throw new Error(`${container}/${name} is not an SLO manifest`);
    return body as SloStoredSegment[];
  }
  /** Replaces an object's metadata and content headers (Swift POST semantics: all or nothing). */
  async updateObject(container: string, name: string, opts: Pick<PutObjectOptions, 'metadata' | 'contentType' | 'contentDisposition' | 'contentEncoding' | 'deleteAt' | 'deleteAfter'>): Promise<void> {
    await this.http.request({ method: 'POST', path: this.at(objectPath(container, name)), headers: objectHeaders(opts) });
  }
  /** Deletes an object; for an SLO manifest `withSegments` deletes its segments too. */
  async deleteObject(container: string, name: string, opts: { withSegments?: boolean } = {}): Promise<void> {
    await this.http.request({
      method: 'DELETE',
      path: this.at(objectPath(container, name)),
      searchParams: opts.withSegments ? { 'multipart-manifest': 'delete' } : undefined,
    });
  }
}

/** `set(key, value)`: assigns a field of `info` only when the header was there. */
function setter<T extends object>(info: T): <K extends keyof T>(key: K, value: T[K] | undefined) => void {
  return (key, value) => {
    if (value !== undefined) info[key] = value;
  };
}

export function parseContainerHeaders(name: string, h: HeaderBag): ContainerInfo {
  const metadata = metadataFrom(h, 'container');
  const info: ContainerInfo = {
    name,
    objectCount: numberHeader(h, 'x-container-object-count') ?? 0,
    bytesUsed: numberHeader(h, 'x-container-bytes-used') ?? 0,
    metadata,
  };
  const set = setter(info);
  set('read', header(h, 'x-container-read'));
  set('write', header(h, 'x-container-write'));
  set('storagePolicy', header(h, 'x-storage-policy'));
  set('versionsLocation', header(h, 'x-versions-location'));
  set('historyLocation', header(h, 'x-history-location'));
  const enabled = header(h, 'x-versions-enabled');
  if (enabled !== undefined) info.versionsEnabled = enabled.toLowerCase() === 'true';
  set('syncTo', header(h, 'x-container-sync-to'));
  if (metadata['quota-bytes'] !== undefined) info.quotaBytes = Number(metadata['quota-bytes']);
  if (metadata['quota-count'] !== undefined) info.quotaCount = Number(metadata['quota-count']);
  return info;
}

export function parseObjectHeaders(container: string, name: string, h: HeaderBag): ObjectInfo {
  const info: ObjectInfo = {
    container,
    name,
    contentLength: numberHeader(h, 'content-length') ?? 0,
    metadata: metadataFrom(h, 'object'),
    staticLargeObject: (header(h, 'x-static-large-object') ?? '').toLowerCase() === 'true',
  };
  const set = setter(info);
  set('contentType', header(h, 'content-type'));
  set('etag', header(h, 'etag')?.replace(/"/g, ''));
  set('lastModified', header(h, 'last-modified'));
  set('contentEncoding', header(h, 'content-encoding'));
  set('contentDisposition', header(h, 'content-disposition'));
  set('deleteAt', numberHeader(h, 'x-delete-at'));
  set('objectManifest', header(h, 'x-object-manifest'));
  set('symlinkTarget', header(h, 'x-symlink-target'));
  return info;
}

/** Optional request headers: field of the settings → header name, and how its value is written. */
type HeaderSpec<T> = Array<[keyof T, string, (value: never) => string]>;
const text = (v: string): string => encodeHeaderValue(v);
const plain = (v: string | number | boolean): string => String(v);

/** Adds a header for every field of `source` that is set, in the order of `specs`. */
function optionalHeaders<T extends object>(out: Record<string, string>, source: T, specs: HeaderSpec<T>): Record<string, string> {
  for (const [field, name, write] of specs) {
    const value = source[field];
    if (value !== undefined) out[name] = (write as (v: unknown) => string)(value);
  }
  return out;
}

const CONTAINER_HEADERS: HeaderSpec<ContainerSettings> = [
  ['read', 'X-Container-Read', text],
  ['write', 'X-Container-Write', text],
  ['storagePolicy', 'X-Storage-Policy', plain],
  ['versionsLocation', 'X-Versions-Location', text],
  ['historyLocation', 'X-History-Location', text],
  ['versionsEnabled', 'X-Versions-Enabled', plain],
];

const OBJECT_HEADERS: HeaderSpec<PutObjectOptions> = [
  ['contentType', 'Content-Type', plain],
  ['contentEncoding', 'Content-Encoding', plain],
  ['contentDisposition', 'Content-Disposition', text],
  ['contentLength', 'Content-Length', plain],
  ['etag', 'ETag', plain],
  ['deleteAt', 'X-Delete-At', plain],
  ['deleteAfter', 'X-Delete-After', plain],
  ['objectManifest', 'X-Object-Manifest', text],
];

function containerHeaders(s: ContainerSettings): Record<string, string> {
  const metadata = { ...(s.metadata ?? {}) };
  if (s.quotaBytes !== undefined) metadata['Quota-Bytes'] = String(s.quotaBytes);
  if (s.quotaCount !== undefined) metadata['Quota-Count'] = String(s.quotaCount);
  return optionalHeaders(metadataHeaders('container', metadata, s.removeMetadata), s, CONTAINER_HEADERS);
}

function objectHeaders(o: PutObjectOptions): Record<string, string> {
  return optionalHeaders(metadataHeaders('object', o.metadata), o, OBJECT_HEADERS);
}
