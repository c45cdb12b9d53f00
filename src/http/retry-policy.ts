// When and how long to wait before retrying an OpenStack API request: idempotency, Retry-After,
// the retry limit. What counts as transient and the backoff are shared (src/retry/transient.ts).
import type { HttpMethod } from '../openstack/types.js';
import { backoffDelay, DEFAULT_BACKOFF, isTransientErrorCode, isTransientStatus, TRANSIENT_ERROR_CODES, type Backoff } from '../retry/transient.js';

export interface RetryPolicy extends Backoff {
  /** Retries after the first attempt. */
  limit: number;
  /** Longest Retry-After honoured; a server asking for more gets no retry (the error says so). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { limit: 4, ...DEFAULT_BACKOFF, maxRetryAfterMs: 60_000 };

const IDEMPOTENT = new Set<string>(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

export function isIdempotent(method: HttpMethod | string): boolean {
  return IDEMPOTENT.has(method.toUpperCase());
}

/** Statuses worth another try (the shared definition): rate limiting and server-side failures. */
export const isRetryableStatus = isTransientStatus;

/** Network error codes that mean "try again" (the shared list). */
export const RETRYABLE_ERROR_CODES = TRANSIENT_ERROR_CODES;
export const isRetryableErrorCode = isTransientErrorCode;

export { backoffDelay };

/** Retry-After in ms (delta-seconds or HTTP-date), undefined when absent or unparsable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  const trimmed = v.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

/** Decides whether attempt number `attempt` (1 = first retry) may happen, and after how long. */
export function decideRetry(input: {
  attempt: number;
  policy: RetryPolicy;
  idempotent: boolean;
  status?: number;
  errorCode?: string;
  retryAfter?: string | string[];
  random?: () => number;
  now?: number;
}): RetryDecision {
  const { attempt, policy } = input;
  if (attempt > policy.limit) return { retry: false, reason: `gave up after ${policy.limit} retries` };
  // A 429 says the request was refused before it was processed: safe to send again, even a POST.
  if (!input.idempotent && input.status !== 429) return { retry: false, reason: 'the request is not idempotent' };
  if (input.status !== undefined) {
    if (!isRetryableStatus(input.status)) return { retry: false, reason: `status ${input.status} is final` };
    const backoff = backoffDelay(attempt, input.policy, input.random);
    const after = parseRetryAfter(input.retryAfter, input.now);
    if (after !== undefined) {
      if (after > policy.maxRetryAfterMs) return { retry: false, reason: `the server asked to wait ${Math.ceil(after / 1000)} s (more than ${policy.maxRetryAfterMs / 1000} s)` };
      return { retry: true, delayMs: Math.max(after, 0) };
    }
    return { retry: true, delayMs: backoff };
  }
  if (isRetryableErrorCode(input.errorCode)) return { retry: true, delayMs: backoffDelay(attempt, policy, input.random) };
  return { retry: false, reason: `error ${input.errorCode ?? 'unknown'} is final` };
}
