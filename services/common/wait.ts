// Polling for asynchronous OpenStack operations (server boot, volume create, image upload):
// the APIs answer at once and the resource moves through statuses on its own.
import { PermafrostError, ExitCode } from '../../src/errors.js';

export interface WaitOptions {
  /** Total time allowed, ms (default 10 min). */
  timeoutMs?: number;
  /** First poll interval, ms; grows ×1.5 up to maxIntervalMs (default 1 s → 10 s). */
  intervalMs?: number;
  maxIntervalMs?: number;
  signal?: AbortSignal;
}

export interface StatusWait<T> extends WaitOptions {
  /** What is awaited, for messages (`volume 1234`). */
  what: string;
  /** Reads the current state; returning undefined means "gone" (404). */
  get: () => Promise<T | undefined>;
  status: (item: T) => string;
  /** Statuses that end the wait successfully (case-insensitive). */
  target: string[];
  /** Statuses that end the wait with an error (default: error, killed, deleted…). */
  failure?: string[];
  /** Whether "gone" is the target (waiting for a delete). */
  untilGone?: boolean;
}

const DEFAULT_FAILURE = ['error', 'error_deleting', 'error_restoring', 'error_extending', 'killed', 'deactivated'];

/** Polls until `get` reports one of the target statuses; returns the last state. */
export async function waitForStatus<T>(opts: StatusWait<T>): Promise<T | undefined> {
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  const deadline = Date.now() + timeoutMs;
  const target = opts.target.map((s) => s.toLowerCase());
  const failure = (opts.failure ?? DEFAULT_FAILURE).map((s) => s.toLowerCase());
  let interval = opts.intervalMs ?? 1000;
  const maxInterval = opts.maxIntervalMs ?? 10_000;
  let last: string | undefined;
  for (;;) {
    if (opts.signal?.aborted) throw new PermafrostError(`stopped waiting for ${opts.what}: interrupted`, ExitCode.interrupted);
    const item = await opts.get();
    if (item === undefined) {
      if (opts.untilGone) return undefined;
      throw new PermafrostError(`${opts.what} disappeared while waiting for status ${opts.target.join('|')}`, ExitCode.notFound);
    }
    last = opts.status(item).toLowerCase();
    if (!opts.untilGone && target.includes(last)) return item;
    if (failure.includes(last) && !target.includes(last)) {
      throw new PermafrostError(`${opts.what} went to status "${last}" while waiting for ${opts.target.join('|')}`, ExitCode.partial);
    }
    if (Date.now() >= deadline) {
      throw new PermafrostError(
        `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${opts.what} to become ${opts.untilGone ? 'deleted' : opts.target.join('|')} (last status "${last}")`,
        ExitCode.partial,
      );
    }
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())), opts.signal);
    interval = Math.min(maxInterval, interval * 1.5);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
