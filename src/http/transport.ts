// One HTTP exchange with retries, on got. Knows nothing about tokens or catalogs: the service
// client adds those. Responsibilities: timeouts, retry with backoff + jitter for idempotent
// requests (5xx, 429 with Retry-After, connection errors), retry of any request whose reused
// keep-alive socket was reset before an answer, typed errors, debug logs with request IDs.
import got, { RequestError, type Got, type Method, type Request as GotRequest, type Response } from 'got';
import { PassThrough, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/logger.js';
import { redactHeaders, scrubText } from '../log/secrets.js';
import type { Agents } from './agents.js';
import { parseErrorBody } from './error-body.js';
import { errorForStatus, OpenStackHttpError, TimeoutError, UnreachableError, type HttpErrorInfo } from './errors.js';
import { requestIdOf } from './request-id.js';
import { decideRetry, isIdempotent, type RetryPolicy } from './retry-policy.js';

export interface TransportRequest {
  service: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  searchParams?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  body?: Buffer | string | Readable;
  okStatus?: number[];
  retry?: boolean;
  timeoutMs: number;
}

export interface TransportResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** Raw body bytes (buffered calls). */
  rawBody: Buffer;
  requestId?: string;
  url: string;
}

export interface TransportOptions {
  agents: Agents;
  logger: Logger;
  retryPolicy: RetryPolicy;
  /** Test hook: deterministic jitter. */
  random?: () => number;
}

/** Bodies above this size are uploads: they get idle timeouts instead of one overall deadline. */
const LARGE_BODY = 1024 * 1024;

/** Largest error body read from a failed download (the rest is discarded). */
const MAX_ERROR_BODY = 64 * 1024;

function cleanSearchParams(p: TransportRequest['searchParams']): Record<string, string> | undefined {
  if (!p) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) if (v !== undefined) out[k] = String(v);
  return out;
}

function isSuccess(status: number, okStatus: number[] | undefined): boolean {
  return okStatus?.includes(status) || (status >= 200 && status < 300);
}

export class Transport {
  private readonly got: Got;

  /** The policy this transport retries with (resumed downloads follow it too). */
  get retryPolicy(): RetryPolicy {
    return this.opts.retryPolicy;
  }

  constructor(private readonly opts: TransportOptions) {
    this.got = got.extend({
      agent: { http: opts.agents.http, https: opts.agents.https },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: true,
      decompress: true,
    });
  }

  private gotOptions(req: TransportRequest, streamingResponse: boolean) {
    // Uploads of streams or large buffers may take long too: only silences count for them.
    const bigBody = (req.body !== undefined && typeof req.body === 'object' && !Buffer.isBuffer(req.body)) || (Buffer.isBuffer(req.body) && req.body.length > LARGE_BODY);
    const streaming = streamingResponse || bigBody;
    return {
      method: req.method.toUpperCase() as Method,
      headers: req.headers,
      searchParams: cleanSearchParams(req.searchParams),
      json: req.json,
      body: req.body,
      // Buffered calls get one overall deadline; a download may take hours, so it gets
      // deadlines for connecting, for the first byte, and for each silence between bytes.
      timeout: streaming
        ? { connect: req.timeoutMs, response: req.timeoutMs, socket: req.timeoutMs }
        : { request: req.timeoutMs },
      allowGetBody: false,
      // A download is the stored bytes, byte for byte: a Swift object saved with
      // `Content-Encoding: gzip` must reach the backup still gzipped (its etag is of those bytes).
      ...(streaming ? { decompress: false } : {}),
    };
  }

  private canRetryAtAll(req: TransportRequest): boolean {
    if (req.body !== undefined && typeof req.body === 'object' && !Buffer.isBuffer(req.body)) return false; // stream consumed
    return true;
  }

  private errorInfo(req: TransportRequest, extra: Partial<HttpErrorInfo> = {}): HttpErrorInfo {
    let url = req.url;
    const sp = cleanSearchParams(req.searchParams);
    if (sp && Object.keys(sp).length) url += (url.includes('?') ? '&' : '?') + new URLSearchParams(sp).toString();
    return { service: req.service, method: req.method.toUpperCase(), url, ...extra };
  }

  /** Maps a got network/timeout error onto a typed error. */
  private networkError(req: TransportRequest, err: unknown): OpenStackHttpError {
    const info = this.errorInfo(req);
    const cause = sanitizedCause(err);
    if (err instanceof RequestError) {
      if (err.name === 'TimeoutError') {
        const event = (err as RequestError & { event?: string }).event ?? 'request';
        return new TimeoutError(info, req.timeoutMs, event, { cause });
      }
      return new UnreachableError(info, err.code, { cause });
    }
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    return new UnreachableError(info, code, { cause });
  }

  private statusError(req: TransportRequest, statusCode: number, headers: TransportResponse['headers'], body: Buffer): OpenStackHttpError {
    const contentType = typeof headers['content-type'] === 'string' ? headers['content-type'] : undefined;
    return errorForStatus(
      this.errorInfo(req, {
        statusCode,
        requestId: requestIdOf(headers),
        serviceMessage: parseErrorBody(body, contentType),
      }),
    );
  }

  /** Decides on a retry after a failed attempt; returns the delay or undefined (give up). */
  private retryDelay(req: TransportRequest, attempt: number, failure: { status?: number; headers?: TransportResponse['headers']; err?: unknown }): number | undefined {
    if (req.retry === false || !this.canRetryAtAll(req)) return undefined;
    const errorCode = failure.err instanceof RequestError ? failure.err.code : (failure.err as NodeJS.ErrnoException | undefined)?.code;
    // A reset on a reused keep-alive socket before any answer means the server closed the idle
    // connection: the request was not processed, so even a POST is safe to send again.
    const resetOnReusedSocket =
      failure.err instanceof RequestError && errorCode === 'ECONNRESET' && !failure.err.response && failure.err.request?.reusedSocket === true;
    const idempotent = req.retry === true || isIdempotent(req.method) || resetOnReusedSocket;
    const decision = decideRetry({
      attempt,
      policy: this.opts.retryPolicy,
      idempotent,
      status: failure.status,
      errorCode,
      retryAfter: failure.headers?.['retry-after'],
      random: this.opts.random,
    });
    if (!decision.retry) {
      this.opts.logger.debug({ service: req.service, method: req.method, url: req.url, reason: decision.reason }, 'not retrying');
      return undefined;
    }
    this.opts.logger.debug(
      { service: req.service, method: req.method, url: req.url, attempt, delayMs: decision.delayMs, status: failure.status, code: errorCode },
      'retrying request',
    );
    return decision.delayMs;
  }

  private logExchange(req: TransportRequest, statusCode: number, headers: TransportResponse['headers'], started: number, attempt: number): void {
    if (!this.opts.logger.isLevelEnabled('debug')) return;
    this.opts.logger.debug(
      {
        service: req.service,
        method: req.method.toUpperCase(),
        url: req.url,
        query: cleanSearchParams(req.searchParams),
        status: statusCode,
        ms: Date.now() - started,
        requestId: requestIdOf(headers),
        attempt,
        requestHeaders: redactHeaders(req.headers),
      },
      'http',
    );
  }

  /**
   * Runs one attempt after another until one succeeds or the retry policy gives up. An attempt
   * either returns its value or describes its failure (network error or status) for the policy,
   * with the typed error to throw when no retry is left.
   */
  private async withRetries<T>(req: TransportRequest, attemptOnce: (attempt: number) => Promise<AttemptOutcome<T>>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await attemptOnce(attempt);
      if (outcome.ok) return outcome.value;
      const delay = this.retryDelay(req, attempt + 1, outcome.failure);
      if (delay === undefined) throw outcome.error();
      await sleep(delay);
    }
  }

  /** Sends a request and buffers the answer; throws a typed error unless the status is OK. */
  async send(req: TransportRequest): Promise<TransportResponse> {
    return this.withRetries(req, async (attempt): Promise<AttemptOutcome<TransportResponse>> => {
      const started = Date.now();
      let res: Response<Buffer>;
      try {
        res = await this.got(req.url, { ...this.gotOptions(req, false), responseType: 'buffer' });
      } catch (err) {
        this.opts.logger.debug({ service: req.service, method: req.method, url: req.url, code: (err as RequestError).code, attempt }, 'http error');
        return { ok: false, failure: { err }, error: () => this.networkError(req, err) };
      }
      const headers = res.headers as TransportResponse['headers'];
      this.logExchange(req, res.statusCode, headers, started, attempt);
      const rawBody = res.rawBody ?? Buffer.alloc(0);
      if (isSuccess(res.statusCode, req.okStatus)) {
        return { ok: true, value: { statusCode: res.statusCode, headers, rawBody, requestId: requestIdOf(headers), url: res.url } };
      }
      return { ok: false, failure: { status: res.statusCode, headers }, error: () => this.statusError(req, res.statusCode, headers, rawBody) };
    });
  }

  /**
   * Starts a streaming request and resolves once the status is known. On success the body is
   * returned as a stream (never buffered); on failure a bounded part of the body is read for
   * the service's message. Retries (before any byte was handed out) as `send` does.
   */
  async stream(req: TransportRequest): Promise<StreamResponse> {
    return this.withRetries(req, async (attempt): Promise<AttemptOutcome<StreamResponse>> => {
      const started = Date.now();
      const gotStream = this.got.stream(req.url, this.gotOptions(req, true)) as GotRequest;
      let res: Response;
      try {
        res = await new Promise<Response>((resolve, reject) => {
          gotStream.once('response', resolve);
          gotStream.once('error', reject);
        });
      } catch (err) {
        gotStream.destroy();
        return { ok: false, failure: { err }, error: () => this.networkError(req, err) };
      }
      const headers = res.headers as TransportResponse['headers'];
      this.logExchange(req, res.statusCode, headers, started, attempt);
      if (isSuccess(res.statusCode, req.okStatus)) {
        // Re-emit transport failures in the middle of the body as typed errors.
        const out = new PassThrough({ highWaterMark: 1024 * 1024 });
        gotStream.on('error', (err) => out.destroy(this.networkError(req, err)));
        gotStream.pipe(out);
        return { ok: true, value: { stream: out, statusCode: res.statusCode, headers, requestId: requestIdOf(headers) } };
      }
      const body = await readBounded(gotStream, MAX_ERROR_BODY);
      return { ok: false, failure: { status: res.statusCode, headers }, error: () => this.statusError(req, res.statusCode, headers, body) };
    });
  }
}

type StreamResponse = { stream: Readable; statusCode: number; headers: TransportResponse['headers']; requestId?: string };

/** What one attempt of a request ended with, for `withRetries`. */
type AttemptOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; failure: { status?: number; headers?: TransportResponse['headers']; err?: unknown }; error: () => Error };

/**
 * got's errors carry the request options, headers with the X-Auth-Token included, as an
 * enumerable property: printing such an error (util.inspect, console.error) would show the
 * token. Typed errors keep only the name, code and scrubbed message as their cause.
 */
function sanitizedCause(err: unknown): Error {
  const e = err as Partial<NodeJS.ErrnoException> | undefined;
  const cause = new Error(scrubText(String(e?.message ?? err)));
  cause.name = String(e?.name ?? 'Error');
  if (e?.code) (cause as NodeJS.ErrnoException).code = e.code;
  return cause;
}

async function readBounded(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const b = chunk as Buffer;
      if (size < max) chunks.push(b.subarray(0, max - size));
      size += b.length;
      if (size >= max) break;
    }
  } catch {
    /* the error body is best effort */
  }
  stream.destroy();
  return Buffer.concat(chunks);
}
