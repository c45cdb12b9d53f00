// A create whose answer was lost (a 5xx from a gateway, a connection cut after the request went
// out, no answer in time) may still have happened. It is never sent again blindly: the resource
// is looked up by the unique name the create gave it and adopted when it is there; only when it
// is not is the create sent again. The create itself goes out with `retry: false`: the HTTP layer
// would otherwise resend a POST whose reused connection was reset, although a proxy may have cut
// it after the service made the resource.
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimitedError, ServerError, TimeoutError, UnreachableError } from '../../src/http/errors.js';
import type { ServiceClient } from '../../src/openstack/types.js';
import { versionedPath } from './api-path.js';

/**
 * Failures after which a create may or may not have happened (5xx, no answer in time, connection
 * lost), and a 429 of a call sent without the HTTP layer's retries (not processed: nothing to find).
 */
export function isAnswerLost(err: unknown): boolean {
  return err instanceof ServerError || err instanceof TimeoutError || err instanceof UnreachableError || err instanceof RateLimitedError;
}

export interface CreateOnceOptions<T> {
  /** Sends the create once, without the HTTP layer's own retries (`retry: false`). */
  create: () => Promise<T>;
  /** Finds what an earlier attempt made (by its unique name); undefined when there is none. */
  find: () => Promise<T | undefined>;
  /** Attempts of the create in total (default 4). */
  attempts?: number;
  /** Pause before the look-up, so that a create still in progress shows (default 2 s, times the attempt). */
  pauseMs?: number;
  signal?: AbortSignal;
}

export async function createOnce<T>(opts: CreateOnceOptions<T>): Promise<T> {
  const attempts = opts.attempts ?? 4;
  for (let n = 1; ; n++) {
    try {
      return await opts.create();
    } catch (err) {
      if (!isAnswerLost(err) || n >= attempts || opts.signal?.aborted) throw err;
      await sleep((opts.pauseMs ?? 2000) * n);
      const found = await opts.find();
      if (found !== undefined) return found;
    }
  }
}

/** The ID of the one resource named `name` in a listing (`GET path?name=`), if any. */
export async function idByName(client: ServiceClient, path: string, collection: string, name: string): Promise<string | undefined> {
  const res = await client.request<Record<string, Array<{ id: string; name?: string }>>>({ path, searchParams: { name } });
  return res.body[collection]?.find((r) => r.name === name)?.id;
}

/** The ID of the Glance image named `name`, if any. */
export function imageIdByName(glance: ServiceClient, name: string): Promise<string | undefined> {
  return idByName(glance, versionedPath(glance, '/v2', '/images'), 'images', name);
}
