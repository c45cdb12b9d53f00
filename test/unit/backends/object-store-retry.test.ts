import { describe, expect, it } from 'vitest';
import { RetriesExhaustedError, TransientError, isTransientNetworkError, withRetry } from '../../../src/repository/backends/object-store-retry.js';

const fast = { attempts: 4, baseDelayMs: 1, maxDelayMs: 4 };

describe('withRetry', () => {
  it('repeats transient failures until the call succeeds', async () => {
    let calls = 0;
    const delays: number[] = [];
    const result = await withRetry(
      'op',
      fast,
      async () => {
        calls++;
        if (calls < 3) throw new TransientError('HTTP 503', 503);
        return 'ok';
      },
      (_e, _n, d) => delays.push(d),
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(delays).toHaveLength(2);
    expect(delays.every((d) => d >= 0 && d <= 4)).toBe(true);
  });

  it('treats connection resets (also wrapped as a cause) as transient', async () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(isTransientNetworkError(reset)).toBe(true);
    expect(isTransientNetworkError(new Error('wrapped', { cause: reset }))).toBe(true);
    expect(isTransientNetworkError(Object.assign(new Error('no such host'), { code: 'ENOTFOUND' }))).toBe(false);
    let calls = 0;
    await withRetry('op', fast, async () => {
      if (++calls === 1) throw new Error('wrapped', { cause: reset });
    });
    expect(calls).toBe(2);
  });

  it('does not repeat other errors', async () => {
    let calls = 0;
    await expect(
      withRetry('op', fast, async () => {
        calls++;
        throw new Error('permission denied');
      }),
    ).rejects.toThrow('permission denied');
    expect(calls).toBe(1);
  });

  it('gives up after the configured attempts and names the last failure', async () => {
    let calls = 0;
    const err = await withRetry('GET x', fast, async () => {
      calls++;
      throw new TransientError('HTTP 502', 502);
    }).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect((err as Error).message).toBe('GET x failed 4 times: HTTP 502');
  });
});
