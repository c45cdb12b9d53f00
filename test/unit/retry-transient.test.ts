// The one definition of transient failures and backoff, as both the API calls and the object-store
// backends see it.
import { describe, expect, it } from 'vitest';
import { isRetryableErrorCode, isRetryableStatus } from '../../src/http/retry-policy.js';
import { isTransientNetworkError, isTransientStatus as backendTransientStatus } from '../../src/repository/backends/object-store-retry.js';
import { backoffDelay, isTransientStatus } from '../../src/retry/transient.js';

describe('transient failures', () => {
  it('are the same statuses for the API calls and the repository backends', () => {
    for (let status = 100; status < 600; status++) {
      expect(isRetryableStatus(status), String(status)).toBe(isTransientStatus(status));
      expect(backendTransientStatus(status), String(status)).toBe(isTransientStatus(status));
    }
    expect([408, 429, 500, 502, 503, 504].every(isTransientStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 412, 501, 505].some(isTransientStatus)).toBe(false);
  });

  it('are the same network errors for both', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE']) {
      expect(isRetryableErrorCode(code), code).toBe(true);
      expect(isTransientNetworkError(Object.assign(new Error(code), { code })), code).toBe(true);
    }
    expect(isRetryableErrorCode('ENOTFOUND')).toBe(false);
    expect(isTransientNetworkError(Object.assign(new Error('no such host'), { code: 'ENOTFOUND' }))).toBe(false);
  });

  it('wait with equal jitter, doubling up to the cap', () => {
    const backoff = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, backoff, () => 0)).toBe(50);
    expect(backoffDelay(2, backoff, () => 1)).toBe(200);
    expect(backoffDelay(9, backoff, () => 1)).toBe(1000);
  });
});
