import { describe, expect, it } from 'vitest';
import { backoffDelay, decideRetry, DEFAULT_RETRY_POLICY, isIdempotent, isRetryableStatus, parseRetryAfter } from '../../src/http/retry-policy.js';

const policy = { limit: 4, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 30_000 };

describe('backoff', () => {
  it('doubles per attempt, is capped, and jitters within [exp/2, exp]', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 1)).toBe(100);
    expect(backoffDelay(2, policy, () => 1)).toBe(200);
    expect(backoffDelay(3, policy, () => 1)).toBe(400);
    expect(backoffDelay(10, policy, () => 1)).toBe(1000);
    expect(backoffDelay(10, policy, () => 0)).toBe(500);
    const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(3, policy)));
    for (const d of seen) {
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
    }
    expect(seen.size).toBeGreaterThan(1);
  });
});

describe('Retry-After', () => {
  it('parses seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(['2', '9'])).toBe(2000);
  });
});

describe('decideRetry', () => {
  it('retries idempotent requests on 5xx and 429, not on 4xx or 501', () => {
    expect(decideRetry({ attempt: 1, policy, idempotent: true, status: 503, random: () => 1 })).toEqual({ retry: true, delayMs: 100 });
    expect(decideRetry({ attempt: 1, policy, idempotent: true, status: 429, random: () => 1 })).toEqual({ retry: true, delayMs: 100 });
    expect(decideRetry({ attempt: 1, policy, idempotent: true, status: 404 }).retry).toBe(false);
    expect(decideRetry({ attempt: 1, policy, idempotent: true, status: 501 }).retry).toBe(false);
  });
  it('honours Retry-After, but not beyond the cap', () => {
    expect(decideRetry({ attempt: 1, policy, idempotent: true, status: 429, retryAfter: '2' })).toEqual({ retry: true, delayMs: 2000 });
    const d = decideRetry({ attempt: 1, policy, idempotent: true, status: 503, retryAfter: '120' });
    expect(d.retry).toBe(false);
    if (!d.retry) expect(d.reason).toContain('120 s');
  });
  it('never retries non-idempotent requests that may have been processed, and stops at the limit', () => {
    expect(decideRetry({ attempt: 1, policy, idempotent: false, status: 503 }).retry).toBe(false);
    expect(decideRetry({ attempt: 1, policy, idempotent: false, errorCode: 'ECONNRESET' }).retry).toBe(false);
    // a 429 was refused before it was processed: even a POST goes again, after Retry-After
    expect(decideRetry({ attempt: 1, policy, idempotent: false, status: 429, retryAfter: '1' })).toEqual({ retry: true, delayMs: 1000 });
    expect(decideRetry({ attempt: 5, policy, idempotent: true, status: 503 }).retry).toBe(false);
    expect(decideRetry({ attempt: 4, policy, idempotent: true, status: 503 }).retry).toBe(true);
  });
  it('retries connection errors, not other errors', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']) {
      expect(decideRetry({ attempt: 1, policy, idempotent: true, errorCode: code }).retry).toBe(true);
    }
    expect(decideRetry({ attempt: 1, policy, idempotent: true, errorCode: 'ERR_INVALID_URL' }).retry).toBe(false);
  });
  it('classifies methods and statuses', () => {
    expect(['GET', 'HEAD', 'PUT', 'DELETE'].every(isIdempotent)).toBe(true);
    expect(['POST', 'PATCH', 'COPY'].some(isIdempotent)).toBe(false);
    expect([500, 502, 503, 504, 429].every(isRetryableStatus)).toBe(true);
    expect(DEFAULT_RETRY_POLICY.limit).toBeGreaterThan(0);
  });
});
