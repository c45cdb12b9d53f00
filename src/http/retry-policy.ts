// When and how long to wait before retrying a request. Pure functions, unit-tested.
import type { HttpMethod } from '../openstack/types.js';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  limit: number;
  /** First backoff delay in ms; doubles each attempt. */
  baseDelayMs: number;
  /** Cap of one backoff delay. */
  maxDelayMs: number;
  /** Longest Retry-After honoured; a server asking for more gets no retry (the error says so). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { limit: 4, baseDelayMs: 500, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };

const IDEMPOTENT = new Set<string>(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

export function isIdempotent(method: HttpMethod | string): boolean {
  return IDEMPOTENT.has(method.toUpperCase());
}

/** Statuses worth another try: rate limiting and server-side failures (but not 501 Not Implemented). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/** Network error codes that mean "try again": resets (e.g. a reused socket closed by the server), refusals during restarts, timeouts. */
export const RETRYABLE_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

export function isRetryableErrorCode(code: string | undefined): boolean {
  return code !== undefined && RETRYABLE_ERROR_CODES.has(code);
}

/**
 * Exponential backoff with jitter: attempt 1 waits ≈base, attempt 2 ≈2×base, ... capped.
 * "Equal jitter" (half fixed, half random) keeps a floor so that retries never hammer a server.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

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
