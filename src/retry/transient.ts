// The one definition of "worth another try" and of the pause before it, shared by the OpenStack
// HTTP layer (src/http/retry-policy.ts) and the object-store repository backends
// (src/repository/backends/object-store-retry.ts). Pure functions, no project imports: every
// layer may use it.

/** The pause between attempts: the first waits ≈base, each next one twice as long, capped. */
export interface Backoff {
  /** First backoff delay in ms; doubles each attempt. */
  baseDelayMs: number;
  /** Cap of one backoff delay. */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseDelayMs: 500, maxDelayMs: 10_000 };

/**
 * Network error codes after which the same request may well succeed: resets (a reused socket
 * closed by the server, a proxy restart), refusals during restarts, silences, name-service hiccups.
 */
export const TRANSIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

export function isTransientErrorCode(code: string | undefined): boolean {
  return code !== undefined && TRANSIENT_ERROR_CODES.has(code);
}

/** Statuses worth another try: request timeout, rate limiting, server-side failures (not 501/505, which are final). */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/**
 * Exponential backoff with "equal jitter" (half fixed, half random): parallel requests do not
 * retry in lock-step, and a floor keeps retries from hammering a server.
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const exp = Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
