// Retry policy shared by the remote object-store backends (Swift, S3).
//
// Object stores fail transiently all the time: a proxy restarts (connection reset), a node is
// overloaded (503 / S3 "SlowDown"), a gateway times out (502/504). Every backend call is
// idempotent at the level of the Backend contract (a PUT of the same key with the same bytes, a
// GET, a DELETE), so it is safe to repeat it. Exponential backoff with full jitter keeps many
// parallel uploads from retrying in lock-step.
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Attempts in total, including the first one. */
  attempts: number;
  /** Delay before the first retry, in ms; doubles on each further retry. */
  baseDelayMs: number;
  /** Upper bound of a single delay, in ms. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 250, maxDelayMs: 8_000 };

/** Thrown by an attempt to ask for another try; `cause` is what went wrong this time. */
export class TransientError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** Network-level error codes after which the same request may well succeed. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Walks an error's `cause` chain (got and the access layer wrap the socket error). */
function* causeChain(err: unknown): Generator<Record<string, unknown>> {
  let cur: unknown = err;
  for (let depth = 0; depth < 8 && cur && typeof cur === 'object'; depth++) {
    yield cur as Record<string, unknown>;
    cur = (cur as { cause?: unknown }).cause;
  }
}

/** The network error code (ECONNRESET, …) somewhere in the chain, if any. */
export function networkErrorCode(err: unknown): string | undefined {
  for (const e of causeChain(err)) {
    const code = e.code;
    if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || code.startsWith('E'))) return code;
    if (typeof e.message === 'string' && /socket hang up/i.test(e.message)) return 'ECONNRESET';
  }
  return undefined;
}

export function isTransientNetworkError(err: unknown): boolean {
  const code = networkErrorCode(err);
  return code !== undefined && TRANSIENT_CODES.has(code);
}

/** HTTP statuses that are worth repeating: server-side trouble, throttling, request timeout. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** Runs `attempt` until it succeeds, throws a non-transient error, or the attempts run out. */
export async function withRetry<T>(
  what: string,
  policy: RetryPolicy,
  attempt: () => Promise<T>,
  onRetry?: (err: unknown, attemptNo: number, delayMs: number) => void,
): Promise<T> {
  let lastErr: unknown;
  for (let i = 1; i <= policy.attempts; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof TransientError) && !isTransientNetworkError(err)) throw err;
      lastErr = err;
      if (i === policy.attempts) break;
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (i - 1));
      const delay = Math.round(cap / 2 + (Math.random() * cap) / 2);
      onRetry?.(err, i, delay);
      await sleep(delay);
    }
  }
  throw new RetriesExhaustedError(what, policy.attempts, lastErr);
}

/** All attempts failed transiently; the caller turns this into an "unreachable" PermafrostError. */
export class RetriesExhaustedError extends Error {
  constructor(
    readonly what: string,
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super(`${what} failed ${attempts} times: ${describeError(lastError)}`, { cause: lastError });
    this.name = 'RetriesExhaustedError';
  }
}

export function describeError(err: unknown): string {
  if (err instanceof TransientError) return err.message;
  const code = networkErrorCode(err);
  const msg = err instanceof Error ? err.message : String(err);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}
