// Retries of the remote object-store backends (Swift, S3).
//
// Object stores fail transiently all the time: a proxy restarts (connection reset), a node is
// overloaded (503 / S3 "SlowDown"), a gateway times out (502/504). Every backend call is
// idempotent at the level of the Backend contract (a PUT of the same key with the same bytes, a
// GET, a DELETE), so it is safe to repeat it. What is transient and the backoff between attempts
// are the ones the OpenStack API calls use (src/retry/transient.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, DEFAULT_BACKOFF, isTransientErrorCode, isTransientStatus as isTransientHttpStatus, type Backoff } from '../../retry/transient.js';

export interface RetryPolicy extends Backoff {
  /** Attempts in total, including the first one. */
  attempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, ...DEFAULT_BACKOFF };

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
    if (typeof code === 'string' && (isTransientErrorCode(code) || code.startsWith('E'))) return code;
    if (typeof e.message === 'string' && /socket hang up/i.test(e.message)) return 'ECONNRESET';
  }
  return undefined;
}

export function isTransientNetworkError(err: unknown): boolean {
  const code = networkErrorCode(err);
  return isTransientErrorCode(code);
}

/** HTTP statuses that are worth repeating: server-side trouble, throttling, request timeout. */
export const isTransientStatus = isTransientHttpStatus;

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
      const delay = backoffDelay(i, policy);
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
