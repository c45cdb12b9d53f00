// S3-compatible backend: `s3://BUCKET/PREFIX[?endpoint=URL&region=R&path-style=true&page-size=N]`.
// Works with AWS S3, MinIO, Ceph RGW and OpenStack Swift's s3api middleware (path-style).
// Credentials and defaults come from the usual AWS variables (see s3-config.ts).
//
// A PUT of a whole object is atomic in S3 (readers see the old object, or the new one, never a
// part), which is what Backend.put promises. Objects are sent in one PUT, so a single pack is
// limited to S3's single-PUT maximum of 5 GiB (permafrost packs are far smaller: tens of MiB).
// There is no putIfAbsent: conditional PUTs (`If-None-Match: *`) are recent in AWS and refused
// (501 NotImplemented) by Swift's s3api, MinIO before 2024 and older Ceph, so callers cannot rely
// on them. The repository does not need them: packs, indexes and snapshots have content-derived or
// random names (two writers of one key write the same bytes); a lock is a new `locks/<random id>`
// object followed by a listing (write-then-list: of two racing lockers at least one sees the
// other and backs off), which needs only read-after-write listings — AWS S3 gives them, and so
// does Swift while its container servers keep up. The one step left unguarded is the config
// written by `repo init` (check-then-write): two `repo init` on the same location at the same time
// are not detected.
import { ExitCode, PermafrostError } from '../../errors.js';
import type { Backend } from '../types.js';
import type { BackendFactory, BackendOptions } from './index.js';
import { checkKey } from './object-store-keys.js';
import { S3Client, type S3ClientStats } from './s3-client.js';
import { resolveS3Config, type S3Config } from './s3-config.js';
import { parseListObjectsV2, parseS3Error } from './s3-xml.js';

/** S3 rejects a single PUT above 5 GiB. */
export const S3_MAX_OBJECT_SIZE = 5 * 1024 ** 3;

/** Object size from the answer to `Range: bytes=0-0` (206, 416 for an empty object, or a 200 ignoring Range). */
export function sizeFromRangedGet(status: number, contentRange: string | undefined, contentLength: string | undefined, bodyLength: number): number {
  const total = /\/(\d+)\s*$/.exec(contentRange ?? '');
  if (total) return Number(total[1]);
  if (status === 416) return 0;
  if (status === 200) return contentLength !== undefined ? Number(contentLength) : bodyLength;
  throw new PermafrostError(`S3 answered ${status} to a one-byte range request without saying the object's size`, ExitCode.internal);
}

export class S3Backend implements Backend {
  readonly location: string;

  private constructor(
    private readonly cfg: S3Config,
    private readonly client: S3Client,
  ) {
    this.location = client.location;
  }

  /** Requests sent and transient failures retried so far (for diagnostics and tests). */
  get stats(): Readonly<S3ClientStats> {
    return this.client.stats;
  }

  static async open(url: URL, opts: BackendOptions): Promise<S3Backend> {
    const cfg = resolveS3Config(url, opts);
    const client = new S3Client(cfg);
    const backend = new S3Backend(cfg, client);
    try {
      await backend.ensureBucket(opts.create ?? false);
    } catch (err) {
      client.close();
      throw err;
    }
    return backend;
  }

  /**
   * Checks that the bucket exists and the credentials work (a one-key listing: unlike HEAD, its
   * error body says *why* it failed), and creates the bucket for `repo init`.
   */
  private async ensureBucket(create: boolean): Promise<void> {
    const res = await this.client.send({
      method: 'GET',
      query: { 'list-type': '2', 'max-keys': '1', prefix: this.cfg.prefix || undefined },
      okStatus: [200, 404],
    });
    if (res.statusCode === 200) return;
    if (!create) {
      throw new PermafrostError(
        `bucket ${this.cfg.bucket} does not exist at ${this.cfg.endpoint.origin}: check the URL, or create the ` +
          `repository with \`permafrost repo init --repo ${this.location}\``,
        ExitCode.repository,
      );
    }
    // Outside us-east-1, AWS wants the region spelled out in the body.
    const body =
      this.cfg.region === 'us-east-1'
        ? undefined
        : Buffer.from(
            `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${this.cfg.region}</LocationConstraint></CreateBucketConfiguration>`,
          );
    await this.client.send({ method: 'PUT', body, okStatus: [200, 409] });
  }

  private objectName(key: string): string {
    checkKey(key);
    return this.cfg.prefix + key;
  }

  async put(key: string, data: Buffer): Promise<void> {
    if (data.length > S3_MAX_OBJECT_SIZE) {
      throw new PermafrostError(
        `object ${key} is ${data.length} bytes, above S3's single-upload limit of 5 GiB: use a smaller pack size`,
        ExitCode.usage,
      );
    }
    await this.client.send({
      method: 'PUT',
      object: this.objectName(key),
      body: data,
      headers: { 'Content-Type': 'application/octet-stream' },
      okStatus: [200],
    });
  }

  async get(key: string): Promise<Buffer> {
    const res = await this.client.send({ method: 'GET', object: this.objectName(key), okStatus: [200] });
    return res.body;
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    if (length <= 0) return Buffer.alloc(0);
    const res = await this.client.send({
      method: 'GET',
      object: this.objectName(key),
      headers: { Range: `bytes=${offset}-${offset + length - 1}` },
      okStatus: [200, 206, 416],
    });
    // 416: the range starts past the end — like reading past EOF, nothing comes back.
    if (res.statusCode === 416) return Buffer.alloc(0);
    // 200: the server ignored the Range header and sent the whole object.
    if (res.statusCode === 200) return res.body.subarray(offset, offset + length);
    return res.body;
  }

  /**
   * A one-byte ranged GET rather than a HEAD: Swift's s3api frames its HEAD error answers (the 404
   * of a missing key) as chunked with a terminating `0\r\n\r\n` a HEAD must not carry; Node's HTTP
   * parser rejects that ("Parse Error: Expected HTTP/"). GET answers are framed correctly.
   * The size comes from Content-Range (`bytes 0-0/SIZE`); an empty object cannot satisfy any
   * range (416, `bytes *\/0` on AWS); a server that ignores Range answers 200 with the length.
   */
  async stat(key: string): Promise<{ size: number } | undefined> {
    const res = await this.client.send({
      method: 'GET',
      object: this.objectName(key),
      headers: { Range: 'bytes=0-0' },
      okStatus: [200, 206, 404, 416],
    });
    if (res.statusCode === 404) {
      if (parseS3Error(res.body).code === 'NoSuchBucket') {
        throw new PermafrostError(
          `S3 GET ${this.location}${key}: bucket ${this.cfg.bucket} does not exist (any more) at ${this.cfg.endpoint.origin}`,
          ExitCode.repository,
        );
      }
      return undefined;
    }
    return { size: sizeFromRangedGet(res.statusCode, res.headers['content-range'], res.headers['content-length'], res.body.length) };
  }

  async *list(prefix: string): AsyncIterable<{ key: string; size: number }> {
    let token: string | undefined;
    // Bounded by the listing itself: each page moves the continuation token forward.
    for (;;) {
      const res = await this.client.send({
        method: 'GET',
        query: {
          'list-type': '2',
          prefix: this.cfg.prefix + prefix || undefined,
          'max-keys': String(this.cfg.pageSize),
          'continuation-token': token,
        },
        okStatus: [200],
      });
      const page = parseListObjectsV2(res.body.toString('utf8'));
      for (const o of page.objects) {
        if (o.key.startsWith(this.cfg.prefix)) yield { key: o.key.slice(this.cfg.prefix.length), size: o.size };
      }
      if (!page.nextToken || page.nextToken === token) return;
      token = page.nextToken;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send({ method: 'DELETE', object: this.objectName(key), okStatus: [200, 204, 404] });
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

export const createBackend: BackendFactory = (url, opts) => S3Backend.open(url, opts);
