// OpenStack Swift as a repository backend: each repository key is one object below a prefix of a
// container. It talks to Swift through the access layer's ServiceClient, which adds the token and
// re-authenticates once on a 401; this class adds what a backup store needs on top: retries with
// backoff on transient failures, end-to-end checksums, marker paging and clear errors.
//
// Atomicity: a Swift object PUT is atomic (the object appears whole or not at all), so put() needs
// no temporary names. putIfAbsent() uses `If-None-Match: *`, which Swift evaluates on the object
// server. Objects are uploaded in one PUT, so one object (one pack) is limited by the cluster's
// `max_file_size` — 5 GiB by default; permafrost's packs are tens of MiB.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ExitCode, PermafrostError } from '../../errors.js';
import type { RequestOptions, ServiceClient } from '../../openstack/types.js';
import type { Backend } from '../types.js';
import { checkKey, encodeObjectPath } from './object-store-keys.js';
import {
  DEFAULT_RETRY,
  RetriesExhaustedError,
  TransientError,
  describeError,
  isTransientStatus,
  withRetry,
  type RetryPolicy,
} from './object-store-retry.js';

/** Swift's default `max_file_size`: the largest object a single PUT may create. */
export const SWIFT_MAX_OBJECT_SIZE = 5 * 1024 ** 3;

export interface SwiftBackendOptions {
  container: string;
  /** '' or 'a/b/'. */
  prefix: string;
  /** Cloud name from clouds.yaml, for messages. */
  cloud: string;
  /** Objects per listing page (Swift's maximum and default is 10 000). */
  pageSize?: number;
  retry?: RetryPolicy;
  /** Send requests to this storage URL instead of the catalog's (e.g. an internal endpoint). */
  storageUrl?: string;
  /** Called when the backend is closed (the factory closes the session it opened). */
  onClose?: () => Promise<void>;
}

interface SwiftListEntry {
  name?: string;
  subdir?: string;
  bytes?: number;
}

/** The HTTP status carried by an access-layer error, if any (read structurally). */
function statusOf(err: unknown): number | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur && typeof cur === 'object'; depth++) {
    const e = cur as { statusCode?: unknown; status?: unknown; response?: { statusCode?: unknown }; cause?: unknown };
    for (const c of [e.statusCode, e.status, e.response?.statusCode]) {
      if (typeof c === 'number' && c >= 100 && c < 600) return c;
    }
    cur = e.cause;
  }
  return undefined;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export class SwiftBackend implements Backend {
  readonly location: string;
  private readonly retry: RetryPolicy;
  private readonly pageSize: number;
  private readonly base: string;

  constructor(
    private readonly client: ServiceClient,
    private readonly opts: SwiftBackendOptions,
  ) {
    this.location = `swift://${opts.container}/${opts.prefix}?cloud=${encodeURIComponent(opts.cloud)}`;
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.pageSize = opts.pageSize ?? 10_000;
    // Absolute URLs so that a storage-URL override and the catalog endpoint are handled alike.
    this.base = `${(opts.storageUrl ?? client.endpoint).replace(/\/+$/, '')}/${encodeObjectPath(opts.container)}`;
  }

  private objectUrl(key: string): string {
    checkKey(key);
    return `${this.base}/${encodeObjectPath(this.opts.prefix + key)}`;
  }

  private what(method: string, key?: string): string {
    return `Swift ${method} swift://${this.opts.container}/${this.opts.prefix}${key ?? ''}`;
  }

  /** Maps a failed call to a retry request or a PermafrostError that tells the user what to do. */
  private classify(what: string, err: unknown): unknown {
    if (err instanceof TransientError) return err;
    const status = statusOf(err);
    if (status === undefined) return err; // network errors: withRetry decides; others pass through
    // 422: Swift's MD5 of the received body differs from our ETag: damaged in transit, send again.
    if (isTransientStatus(status) || status === 422) return new TransientError(`HTTP ${status}`, status, { cause: err });
    if (status === 401) {
      // The access layer already re-authenticated once; its error names the cloud and the cause.
      if (err instanceof PermafrostError) return err;
      return new PermafrostError(`${what}: authentication failed for cloud ${this.opts.cloud}; check its credentials`, ExitCode.auth, {
        cause: err,
      });
    }
    if (status === 403) {
      return new PermafrostError(
        `${what}: permission denied on container ${this.opts.container} in cloud ${this.opts.cloud} ` +
          '(the user needs a role that may write objects, or a container ACL)',
        ExitCode.forbidden,
        { cause: err },
      );
    }
    if (status === 404) return new PermafrostError(`${what}: not found`, ExitCode.notFound, { cause: err });
    if (status === 413 || status === 507) {
      return new PermafrostError(
        `${what}: the object store refused the upload (HTTP ${status}): the account or container quota is exhausted, the ` +
          `cluster is full, or the object exceeds the cluster's max_file_size (5 GiB by default; use a smaller pack size)`,
        ExitCode.noSpace,
        { cause: err },
      );
    }
    if (err instanceof PermafrostError) return err;
    return new PermafrostError(`${what}: unexpected answer from Swift (HTTP ${status}): ${describeError(err)}`, ExitCode.internal, {
      cause: err,
    });
  }

  /** Runs one Swift call with retries; every failure ends as a PermafrostError. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(what, this.retry, async () => {
        try {
          return await fn();
        } catch (err) {
          throw this.classify(what, err);
        }
      });
    } catch (err) {
      if (err instanceof RetriesExhaustedError) {
        throw new PermafrostError(
          `${what}: Swift kept failing (${err.attempts} attempts; last: ${describeError(err.lastError)}); check that the ` +
            `object store of cloud ${this.opts.cloud} is reachable and healthy, then run the command again`,
          ExitCode.unreachable,
          { cause: err },
        );
      }
      if (err instanceof PermafrostError) throw err;
      throw new PermafrostError(`${what}: cannot reach Swift (${describeError(err)})`, ExitCode.unreachable, { cause: err });
    }
  }

  /** Per-call timeout: a minute plus a second per MiB, so big packs on slow links are not cut off. */
  private timeoutFor(bytes: number): number {
    return 60_000 + Math.ceil(bytes / (1024 * 1024)) * 1000;
  }

  private request(opts: RequestOptions) {
    return this.client.request<unknown>({ retry: false, ...opts });
  }

  /** Checks the container; creates it for `repo init`. */
  async ensureContainer(create: boolean): Promise<void> {
    const what = this.what('HEAD');
    const res = await this.call(what, () => this.request({ method: 'HEAD', path: this.base, okStatus: [200, 204, 404] }));
    if (res.statusCode !== 404) return;
    if (!create) {
      throw new PermafrostError(
        `container ${this.opts.container} does not exist in cloud ${this.opts.cloud}: check the URL, or create the ` +
          `repository with \`permafrost repo init --repo ${this.location}\``,
        ExitCode.repository,
      );
    }
    await this.call(this.what('PUT'), () => this.request({ method: 'PUT', path: this.base, okStatus: [201, 202] }));
  }

  private checkSize(key: string, data: Buffer): void {
    if (data.length > SWIFT_MAX_OBJECT_SIZE) {
      throw new PermafrostError(
        `object ${key} is ${data.length} bytes, above Swift's single-object limit of 5 GiB: use a smaller pack size`,
        ExitCode.usage,
      );
    }
  }

  private putHeaders(data: Buffer): Record<string, string> {
    // Swift compares the ETag with the MD5 of what it received and refuses (422) a damaged body.
    return {
      ETag: createHash('md5').update(data).digest('hex'),
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(data.length),
    };
  }

  async put(key: string, data: Buffer): Promise<void> {
    this.checkSize(key, data);
    const url = this.objectUrl(key);
    const headers = this.putHeaders(data);
    await this.call(this.what('PUT', key), () =>
      this.request({ method: 'PUT', path: url, headers, body: data, okStatus: [201], timeoutMs: this.timeoutFor(data.length) }),
    );
  }

  async putIfAbsent(key: string, data: Buffer): Promise<boolean> {
    this.checkSize(key, data);
    const url = this.objectUrl(key);
    const headers = { ...this.putHeaders(data), 'If-None-Match': '*' };
    const res = await this.call(this.what('PUT', key), () =>
      this.request({ method: 'PUT', path: url, headers, body: data, okStatus: [201, 412], timeoutMs: this.timeoutFor(data.length) }),
    );
    return res.statusCode === 201;
  }

  async get(key: string): Promise<Buffer> {
    const url = this.objectUrl(key);
    return this.call(this.what('GET', key), async () => {
      const { stream, headers } = await this.client.download({ method: 'GET', path: url, retry: false, timeoutMs: this.timeoutFor(0) });
      const body = await readAll(stream);
      // A connection cut short or a damaged body: compare with the length and MD5 Swift stored.
      const length = headerValue(headers, 'content-length');
      if (length !== undefined && Number(length) !== body.length) {
        throw new TransientError(`short read: ${body.length} of ${length} bytes`);
      }
      const etag = headerValue(headers, 'etag')?.replace(/"/g, '');
      if (etag && /^[0-9a-f]{32}$/.test(etag) && createHash('md5').update(body).digest('hex') !== etag) {
        throw new TransientError('body does not match its ETag (damaged in transit)');
      }
      return body;
    });
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    if (length <= 0) return Buffer.alloc(0);
    const url = this.objectUrl(key);
    return this.call(this.what('GET', key), async () => {
      let result: { stream: Readable; headers: Record<string, string | string[] | undefined> };
      try {
        result = await this.client.download({
          method: 'GET',
          path: url,
          retry: false,
          headers: { Range: `bytes=${offset}-${offset + length - 1}` },
          timeoutMs: this.timeoutFor(length),
        });
      } catch (err) {
        // 416: the range starts past the end — like reading past EOF, nothing comes back.
        if (statusOf(err) === 416) return Buffer.alloc(0);
        throw err;
      }
      const body = await readAll(result.stream);
      // Without a Content-Range the server sent the whole object (it ignored the Range header).
      if (headerValue(result.headers, 'content-range') === undefined && body.length > length) {
        return body.subarray(offset, offset + length);
      }
      const expected = headerValue(result.headers, 'content-length');
      if (expected !== undefined && Number(expected) !== body.length) {
        throw new TransientError(`short read: ${body.length} of ${expected} bytes`);
      }
      return body;
    });
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    const url = this.objectUrl(key);
    const res = await this.call(this.what('HEAD', key), () => this.request({ method: 'HEAD', path: url, okStatus: [200, 404] }));
    if (res.statusCode === 404) return undefined;
    return { size: Number(headerValue(res.headers, 'content-length') ?? 0) };
  }

  async *list(prefix: string): AsyncIterable<{ key: string; size: number }> {
    const full = this.opts.prefix + prefix;
    let marker: string | undefined;
    // Each page starts after the last name of the previous one; a short page is the last one.
    for (;;) {
      const res = await this.call(this.what('GET (list)', prefix), () =>
        this.request({
          method: 'GET',
          path: this.base,
          searchParams: { format: 'json', prefix: full || undefined, limit: this.pageSize, marker },
          okStatus: [200, 204],
        }),
      );
      const body = res.body;
      const entries: SwiftListEntry[] = Array.isArray(body)
        ? (body as SwiftListEntry[])
        : typeof body === 'string' || Buffer.isBuffer(body)
          ? body.length
            ? (JSON.parse(body.toString()) as SwiftListEntry[])
            : []
          : [];
      for (const e of entries) {
        if (e.name !== undefined && e.name.startsWith(this.opts.prefix)) {
          yield { key: e.name.slice(this.opts.prefix.length), size: e.bytes ?? 0 };
        }
      }
      const last = entries.at(-1)?.name;
      if (entries.length < this.pageSize || last === undefined || last === marker) return;
      marker = last;
    }
  }

  async delete(key: string): Promise<void> {
    const url = this.objectUrl(key);
    await this.call(this.what('DELETE', key), () => this.request({ method: 'DELETE', path: url, okStatus: [204, 404] }));
  }

  async close(): Promise<void> {
    await this.opts.onClose?.();
  }
}
