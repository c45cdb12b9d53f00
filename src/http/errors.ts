// Typed errors of the HTTP layer. Each carries what an operator needs to act: the service and
// call, the status, the service's own message and the request ID to grep the service logs for.
// Messages pass through the secret scrubber: a server echoing a token cannot leak it here.
import { ExitCode, PermafrostError, type ExitCodeValue } from '../errors.js';
import { scrubText } from '../log/secrets.js';

export interface HttpErrorInfo {
  /** Catalog type (`compute`, ...) or `identity`; what the user recognises. */
  service: string;
  method: string;
  url: string;
  statusCode?: number;
  /** x-openstack-request-id / x-compute-request-id / x-trans-id. */
  requestId?: string;
  /** The service's own explanation, parsed from its error body. */
  serviceMessage?: string;
  /** For 429/503: how long the server asked us to wait (ms). */
  retryAfterMs?: number;
}

/** URL without query string values that could be long or sensitive (markers, filters stay). */
function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}

function composeMessage(summary: string, info: HttpErrorInfo, hint?: string): string {
  const parts = [`${info.service} ${info.method} ${displayUrl(info.url)}: ${summary}`];
  if (info.serviceMessage) parts[0] += `: ${info.serviceMessage}`;
  if (hint) parts[0] += ` — ${hint}`;
  if (info.requestId) parts.push(`(request ${info.requestId})`);
  return scrubText(parts.join(' '));
}

export class OpenStackHttpError extends PermafrostError {
  readonly service: string;
  readonly method: string;
  readonly url: string;
  readonly statusCode?: number;
  readonly requestId?: string;
  readonly serviceMessage?: string;

  constructor(summary: string, info: HttpErrorInfo, exitCode: ExitCodeValue, hint?: string, options?: { cause?: unknown }) {
    super(composeMessage(summary, info, hint), exitCode, options);
    this.name = 'OpenStackHttpError';
    this.service = info.service;
    this.method = info.method;
    this.url = scrubText(info.url);
    this.statusCode = info.statusCode;
    this.requestId = info.requestId;
    this.serviceMessage = info.serviceMessage === undefined ? undefined : scrubText(info.serviceMessage);
  }
}

export class BadRequestError extends OpenStackHttpError {
  constructor(info: HttpErrorInfo) {
    super(`${info.statusCode ?? 400} Bad Request`, info, ExitCode.internal);
    this.name = 'BadRequestError';
  }
}

export class UnauthorizedError extends OpenStackHttpError {
  constructor(info: HttpErrorInfo, hint = 'check the credentials of the cloud (password, application credential) and that they are not expired or revoked') {
    super('401 Unauthorized', info, ExitCode.auth, hint);
    this.name = 'UnauthorizedError';
  }
}

export class ForbiddenError extends OpenStackHttpError {
  constructor(info: HttpErrorInfo) {
    super('403 Forbidden', info, ExitCode.forbidden, 'the user lacks the role or policy right for this call');
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends OpenStackHttpError {
  constructor(info: HttpErrorInfo) {
    super('404 Not Found', info, ExitCode.notFound);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends OpenStackHttpError {
  constructor(info: HttpErrorInfo) {
    super(`${info.statusCode ?? 409} Conflict`, info, ExitCode.internal);
    this.name = 'ConflictError';
  }
}

export class RateLimitedError extends OpenStackHttpError {
  readonly retryAfterMs?: number;
  constructor(info: HttpErrorInfo) {
    super('429 Too Many Requests', info, ExitCode.unreachable, 'the cloud kept rate-limiting after retries; try again later or with less parallelism');
    this.name = 'RateLimitedError';
    this.retryAfterMs = info.retryAfterMs;
  }
}

export class ServerError extends OpenStackHttpError {
  constructor(info: HttpErrorInfo) {
    super(`${info.statusCode ?? 500} server error`, info, ExitCode.unreachable, 'the service failed (after retries where safe); see its logs');
    this.name = 'ServerError';
  }
}

export class TimeoutError extends OpenStackHttpError {
  constructor(info: HttpErrorInfo, timeoutMs: number, phase: string, options?: { cause?: unknown }) {
    super(`no answer within ${timeoutMs} ms (${phase})`, info, ExitCode.unreachable, 'the service is overloaded or unreachable; raise api_timeout in clouds.yaml if it is just slow', options);
    this.name = 'TimeoutError';
  }
}

/** Node/OpenSSL error codes of certificate problems (self-signed, unknown CA, expired, wrong host). */
export function isTlsErrorCode(code: string | undefined): boolean {
  return code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_|ERR_TLS|ERR_SSL|EPROTO/.test(code);
}

export class UnreachableError extends OpenStackHttpError {
  readonly code?: string;
  constructor(info: HttpErrorInfo, code: string | undefined, options?: { cause?: unknown }) {
    const hint = isTlsErrorCode(code)
      ? 'the TLS certificate is not trusted: give the CA bundle (cacert in clouds.yaml, OS_CACERT or --os-cacert), or --insecure if you accept the risk'
      : 'check the endpoint URL (catalog or *_endpoint_override), the network and that the service runs';
    super(`cannot connect (${code ?? 'network error'})`, info, ExitCode.unreachable, hint, options);
    this.name = 'UnreachableError';
    this.code = code;
  }
}

/** Any other unexpected status (3xx without redirect handling, 405, 413, 415, ...). */
export class UnexpectedStatusError extends OpenStackHttpError {
  constructor(info: HttpErrorInfo) {
    super(`unexpected status ${info.statusCode}`, info, info.statusCode === 413 ? ExitCode.noSpace : ExitCode.internal);
    this.name = 'UnexpectedStatusError';
  }
}

/** The typed error for a non-success HTTP status. */
export function errorForStatus(info: HttpErrorInfo): OpenStackHttpError {
  const s = info.statusCode ?? 0;
  if (s === 400) return new BadRequestError(info);
  if (s === 401) return new UnauthorizedError(info);
  if (s === 403) return new ForbiddenError(info);
  if (s === 404) return new NotFoundError(info);
  if (s === 409) return new ConflictError(info);
  if (s === 429) return new RateLimitedError(info);
  if (s >= 500) return new ServerError(info);
  return new UnexpectedStatusError(info);
}
