// The Redis behind the job queue: `--queue redis://HOST:6379/DB` or PERMAFROST_QUEUE. Every
// BullMQ object of permafrost lives under one queue name in that database.
import { Redis } from 'ioredis';
import { ExitCode, PermafrostError, UsageError } from '../errors.js';

export const QUEUE_NAME = 'permafrost';

/** The queue URL from the option or the environment; undefined when neither is set. */
export function queueUrlFrom(option: string | undefined): string | undefined {
  const url = option ?? process.env.PERMAFROST_QUEUE;
  return url === undefined || url === '' ? undefined : url;
}

/** Checks a queue URL and returns it without a password, for messages. */
export function describeQueueUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--queue "${url}" is not a URL: use redis://HOST:6379/DB`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new UsageError(`--queue "${parsed.protocol}//…" is not a Redis URL: use redis://HOST:6379/DB (or rediss:// for TLS)`);
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new UsageError(`--queue: the database in "${parsed.pathname}" must be a number (redis://HOST:6379/DB)`);
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}/${db || '0'}`;
}

/**
 * A connection as BullMQ needs it (commands wait for a reconnect instead of failing), checked
 * with a PING so that an unreachable Redis is one clear error, not a hang.
 */
export async function connectQueue(url: string): Promise<Redis> {
  const where = describeQueueUrl(url);
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, connectTimeout: 5000, retryStrategy: (n) => Math.min(n * 200, 2000) });
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => void (lastError = err)); // reported by the PING below or by the command that fails
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5000).unref()),
    ]);
  } catch (err) {
    redis.disconnect();
    throw new PermafrostError(`cannot reach the queue's Redis at ${where}: ${(lastError ?? (err as Error)).message}; start Redis (scripts/ensure-redis.sh on this machine) or fix --queue/PERMAFROST_QUEUE`, ExitCode.unreachable, { cause: err });
  }
  return redis;
}
