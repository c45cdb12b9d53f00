// ServiceClient implementation: one catalog endpoint of one session. Adds the token and the
// microversion headers, re-authenticates exactly once on a 401 and repeats the call once,
// decodes JSON, streams downloads, and delegates listings to the one pagination helper.
import type { Readable } from 'node:stream';
import type { ApiResponse, PaginateOptions, RequestOptions, ServiceClient, ServiceType } from '../openstack/types.js';
import type { Logger } from '../log/logger.js';
import { UnauthorizedError } from './errors.js';
import { Paginator } from './paginate.js';
import { resumableBody } from './resumable-download.js';
import type { Transport, TransportRequest } from './transport.js';

/** Where a client gets its token: the Keystone session. */
export interface TokenSource {
  token(): Promise<string>;
  /** Re-authenticates unless the session already replaced `staleToken`; returns the new token. */
  reauthenticate(staleToken: string): Promise<string>;
}

export interface ServiceClientOptions {
  serviceType: ServiceType;
  endpoint: string;
  transport: Transport;
  tokens?: TokenSource;
  logger: Logger;
  defaultTimeoutMs: number;
  microversion?: string;
  /** Headers sent on every call (microversion selection). */
  extraHeaders?: Record<string, string>;
}

function isStreamBody(body: RequestOptions['body']): boolean {
  return body !== undefined && typeof body === 'object' && !Buffer.isBuffer(body);
}

function decodeBody(raw: Buffer, headers: Record<string, string | string[] | undefined>): unknown {
  if (raw.length === 0) return undefined;
  const type = String(headers['content-type'] ?? '');
  const text = raw.toString('utf8');
  if (/json/i.test(type) || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

export class HttpServiceClient implements ServiceClient {
  readonly serviceType: ServiceType;
  readonly endpoint: string;
  readonly microversion?: string;

  constructor(private readonly opts: ServiceClientOptions) {
    this.serviceType = opts.serviceType;
    this.endpoint = opts.endpoint.replace(/\/+$/, '');
    this.microversion = opts.microversion;
  }

  /** Absolute URL for a path relative to the endpoint (or an absolute URL as is). */
  urlFor(path: string): string {
    if (/^https?:\/\//i.test(path)) return path;
    if (path === '' || path === '/') return this.endpoint;
    return this.endpoint + (path.startsWith('/') ? path : `/${path}`);
  }

  private build(opts: RequestOptions, token: string | undefined): TransportRequest {
    const headers: Record<string, string> = { Accept: 'application/json', ...this.opts.extraHeaders, ...opts.headers };
    if (token) headers['X-Auth-Token'] = token;
    return {
      service: this.serviceType,
      method: opts.method ?? 'GET',
      url: this.urlFor(opts.path),
      headers,
      searchParams: opts.searchParams,
      json: opts.json,
      body: opts.body,
      okStatus: opts.okStatus,
      retry: opts.retry,
      timeoutMs: opts.timeoutMs ?? this.opts.defaultTimeoutMs,
    };
  }

  /** Runs `call` with the current token; on a 401 re-authenticates once and runs it once more. */
  private async withToken<R>(opts: RequestOptions, call: (req: TransportRequest) => Promise<R>): Promise<R> {
    // A caller that brings its own X-Auth-Token (another user's token, a test of a bad token)
    // gets exactly that: the session's token is not added and a 401 is final.
    const ownToken = Object.keys(opts.headers ?? {}).some((h) => h.toLowerCase() === 'x-auth-token');
    const tokens = ownToken ? undefined : this.opts.tokens;
    const token = tokens ? await tokens.token() : undefined;
    try {
      return await call(this.build(opts, token));
    } catch (err) {
      if (!(err instanceof UnauthorizedError) || !tokens || token === undefined) throw err;
      if (isStreamBody(opts.body)) {
        // A stream body cannot be sent twice from here: the caller, who can open it again,
        // repeats the call, and finds a fresh token.
        await tokens.reauthenticate(token);
        throw err;
      }
      this.opts.logger.debug({ service: this.serviceType, path: opts.path, requestId: err.requestId }, '401: re-authenticating once and repeating the call');
      const fresh = await tokens.reauthenticate(token);
      return await call(this.build(opts, fresh));
    }
  }

  async request<T = unknown>(opts: RequestOptions): Promise<ApiResponse<T>> {
    const res = await this.withToken(opts, (req) => this.opts.transport.send(req));
    return {
      statusCode: res.statusCode,
      headers: res.headers,
      body: (opts.method === 'HEAD' ? undefined : decodeBody(res.rawBody, res.headers)) as T,
      requestId: res.requestId,
    };
  }

  /**
   * Streams a body. A GET cut mid-body (reset, silence) is resumed with a range request for the
   * rest, unless the caller retries on its own (`retry: false`) or asked for a range itself.
   */
  async download(opts: RequestOptions): Promise<{ stream: Readable; headers: ApiResponse<unknown>['headers'] }> {
    const ask = (extra: Record<string, string>) => this.withToken({ ...opts, headers: { Accept: '*/*', ...opts.headers, ...extra } }, (req) => this.opts.transport.stream(req));
    const res = await ask({});
    const method = (opts.method ?? 'GET').toUpperCase();
    const ownRange = Object.keys(opts.headers ?? {}).some((h) => h.toLowerCase() === 'range');
    if (method !== 'GET' || opts.retry === false || ownRange || res.statusCode !== 200) return { stream: res.stream, headers: res.headers };
    const stream = resumableBody(res, {
      reopen: (offset) => ask({ Range: `bytes=${offset}-` }),
      policy: this.opts.transport.retryPolicy,
      logger: this.opts.logger,
      what: `${this.serviceType} ${opts.path}`,
    });
    return { stream, headers: res.headers };
  }

  paginate<T = unknown>(opts: PaginateOptions): Paginator<T> {
    return new Paginator<T>(this, opts, this.opts.logger);
  }
}
