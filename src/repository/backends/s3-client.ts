// A minimal S3 REST client: SigV4-signed requests (aws4) sent with got over keep-alive sockets,
// retried on transient failures (5xx, SlowDown, RequestTimeout, connection resets), and S3 error
// codes turned into PermafrostErrors that say what to do.
import http from 'node:http';
import https from 'node:https';
import got from 'got';
import { ExitCode, PermafrostError } from '../../errors.js';
import { getLogger } from '../../log/logger.js';
import { encodeObjectPath } from './object-store-keys.js';
import {
  RetriesExhaustedError,
  TransientError,
  describeError,
  isTransientStatus,
  withRetry,
} from './object-store-retry.js';
import type { S3Config } from './s3-config.js';
import { signS3Request } from './s3-signing.js';
import { parseS3Error } from './s3-xml.js';

export interface S3Request {
  method: 'GET' | 'HEAD' | 'PUT' | 'DELETE' | 'POST';
  /** Object name inside the bucket (prefix included); undefined for bucket-level requests. */
  object?: string;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Statuses returned to the caller instead of being treated as errors. */
  okStatus: number[];
}

export interface S3Response {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** S3 error codes that mean "try again" even though the status is not a 5xx. */
const TRANSIENT_S3_CODES = new Set(['SlowDown', 'RequestTimeout', 'InternalError', 'ServiceUnavailable', 'RequestTimeTooSkewed']);

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** What a client did so far: attempts sent and attempts repeated after a transient failure. */
export interface S3ClientStats {
  requests: number;
  retries: number;
  /** Why the latest retry happened (`HTTP 503`, `ECONNREFUSED: …`). */
  lastRetryReason?: string;
}

export class S3Client {
  private readonly agent: http.Agent;
  readonly location: string;
  readonly stats: S3ClientStats = { requests: 0, retries: 0 };

  constructor(private readonly cfg: S3Config) {
    const agentOpts = { keepAlive: true, maxSockets: 16 };
    this.agent = cfg.endpoint.protocol === 'https:' ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
    this.location = `s3://${cfg.bucket}/${cfg.prefix}`;
  }

  /** Host header and request path for a bucket/object, in the configured addressing style. */
  private target(object: string | undefined): { host: string; path: string } {
    const objPath = object === undefined ? '' : encodeObjectPath(object);
    if (this.cfg.pathStyle) {
      return { host: this.cfg.endpoint.host, path: `/${this.cfg.bucket}${object === undefined ? '' : `/${objPath}`}` };
    }
    return { host: `${this.cfg.bucket}.${this.cfg.endpoint.host}`, path: `/${objPath}` };
  }

  async send(req: S3Request): Promise<S3Response> {
    const what = `S3 ${req.method} ${this.location}${req.object === undefined ? '' : req.object.slice(this.cfg.prefix.length)}`;
    try {
      return await withRetry(
        what,
        this.cfg.retry,
        () => this.attempt(req, what),
        (err, attemptNo, delayMs) => {
          const reason = describeError(err);
          this.stats.retries++;
          this.stats.lastRetryReason = reason;
          getLogger().debug({ request: what, attempt: attemptNo, delayMs, reason }, 'S3 request failed transiently; retrying');
        },
      );
    } catch (err) {
      if (err instanceof RetriesExhaustedError) {
        throw new PermafrostError(
          `${what}: the S3 endpoint ${this.cfg.endpoint.origin} kept failing (${err.attempts} attempts; last: ${describeError(err.lastError)}); ` +
            'check that it is reachable and healthy, then run the command again',
          ExitCode.unreachable,
          { cause: err },
        );
      }
      if (err instanceof PermafrostError) throw err;
      // Not transient (e.g. an unknown host): no point in retrying, but say where it failed.
      throw new PermafrostError(
        `${what}: cannot reach the S3 endpoint ${this.cfg.endpoint.origin} (${describeError(err)})`,
        ExitCode.unreachable,
        { cause: err },
      );
    }
  }

  private async attempt(req: S3Request, what: string): Promise<S3Response> {
    const { host, path } = this.target(req.object);
    const query = Object.entries(req.query ?? {})
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => (v === '' ? rfc3986(k) : `${rfc3986(k)}=${rfc3986(v)}`))
      .join('&');
    const fullPath = query ? `${path}?${query}` : path;
    const headers: Record<string, string> = { ...req.headers };
    if (req.body) headers['Content-Length'] = String(req.body.length);
    // The request is signed anew on every attempt: the signature carries a timestamp.
    const signedHeaders = signS3Request({
      method: req.method,
      host,
      path: fullPath,
      headers,
      body: req.body,
      region: this.cfg.region,
      credentials: this.cfg.credentials,
    });
    const url = `${this.cfg.endpoint.protocol}//${host}${fullPath}`;
    this.stats.requests++;
    const res = await got(url, {
      method: req.method,
      headers: signedHeaders,
      body: req.body,
      responseType: 'buffer',
      throwHttpErrors: false,
      retry: { limit: 0 },
      followRedirect: false,
      decompress: false,
      agent: { http: this.agent as http.Agent, https: this.agent as https.Agent },
      timeout: { connect: 15_000, socket: this.cfg.timeoutMs },
    });
    const status = res.statusCode;
    if (req.okStatus.includes(status)) {
      return { statusCode: status, headers: res.headers, body: res.body };
    }
    const { code, message } = req.method === 'HEAD' ? {} : parseS3Error(res.body);
    if (isTransientStatus(status) || (code && TRANSIENT_S3_CODES.has(code))) {
      throw new TransientError(`HTTP ${status}${code ? ` ${code}` : ''}`, status);
    }
    throw this.mapError(what, status, code, message);
  }

  private mapError(what: string, status: number, code: string | undefined, message: string | undefined): PermafrostError {
    const detail = `HTTP ${status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
    if (
      code === 'InvalidAccessKeyId' ||
      code === 'SignatureDoesNotMatch' ||
      code === 'InvalidToken' ||
      code === 'ExpiredToken' ||
      code === 'InvalidSecurity'
    ) {
      return new PermafrostError(
        `${what}: the S3 service rejected the credentials (${detail}); check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY ` +
          'and AWS_SESSION_TOKEN',
        ExitCode.auth,
      );
    }
    if (code === 'AuthorizationHeaderMalformed' && message && /expecting '([^']+)'/.test(message)) {
      const expected = /expecting '([^']+)'/.exec(message)![1];
      return new PermafrostError(
        `${what}: the S3 service is in region "${expected}", not "${this.cfg.region}": add ?region=${expected} to the ` +
          `repository URL or set AWS_REGION=${expected}`,
        ExitCode.config,
      );
    }
    if (status === 401) {
      return new PermafrostError(`${what}: not authenticated (${detail}); check the S3 credentials`, ExitCode.auth);
    }
    if (status === 403) {
      return new PermafrostError(
        `${what}: access denied (${detail}); the credentials are valid but may not use bucket ${this.cfg.bucket}`,
        ExitCode.forbidden,
      );
    }
    if (code === 'NoSuchBucket') {
      return new PermafrostError(
        `${what}: bucket ${this.cfg.bucket} does not exist at ${this.cfg.endpoint.origin}; create the repository with ` +
          '`permafrost repo init`',
        ExitCode.repository,
      );
    }
    if (status === 404) {
      return new PermafrostError(`${what}: not found (${detail})`, ExitCode.notFound);
    }
    if (status === 507 || code === 'QuotaExceeded') {
      return new PermafrostError(`${what}: no space left in the object store (${detail})`, ExitCode.noSpace);
    }
    return new PermafrostError(`${what}: unexpected answer from the S3 service (${detail})`, ExitCode.internal);
  }

  close(): void {
    this.agent.destroy();
  }
}
