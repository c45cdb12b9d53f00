// What happened at each fire time of a schedule, kept in the queue's Redis next to BullMQ's own
// keys: one record per due time (a run taken over after a worker died overwrites its record),
// and a log of every start (which worker, which attempt) for audits and tests.
import type { Redis } from 'ioredis';

export type RunStatus = 'running' | 'ok' | 'partial' | 'failed' | 'missed';

export interface RunRecord {
  /** The fire time the run belongs to (ms since the epoch); for `schedule run`, when it was asked for. */
  dueAt: number;
  trigger: 'schedule' | 'manual';
  status: RunStatus;
  workerId?: string;
  /** Workers that started this run (more than one after a takeover). */
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  reason?: string;
  snapshots?: string[];
  retention?: { kept: number; removed: number; prune?: { packsDeleted: number; bytesFreed: number } };
}

export interface RunStart {
  dueAt: number;
  workerId: string;
  attempt: number;
  at: string;
}

const KEEP_RECORDS = 200;
const runsKey = (name: string): string => `permafrost:schedule:${name}:runs`;
const startsKey = (name: string): string => `permafrost:schedule:${name}:starts`;

export async function writeRunRecord(redis: Redis, name: string, record: RunRecord): Promise<void> {
  await redis.hset(runsKey(name), String(record.dueAt), JSON.stringify(record));
  const fields = await redis.hkeys(runsKey(name));
  if (fields.length > KEEP_RECORDS) {
    const oldest = fields.map(Number).sort((a, b) => a - b).slice(0, fields.length - KEEP_RECORDS);
    await redis.hdel(runsKey(name), ...oldest.map(String));
  }
}

export async function logRunStart(redis: Redis, name: string, start: RunStart): Promise<void> {
  await redis.rpush(startsKey(name), JSON.stringify(start));
  await redis.ltrim(startsKey(name), -4 * KEEP_RECORDS, -1);
}

/** Records of a schedule, newest first. */
export async function readRunRecords(redis: Redis, name: string): Promise<RunRecord[]> {
  const all = await redis.hvals(runsKey(name));
  return all.map((v) => JSON.parse(v) as RunRecord).sort((a, b) => b.dueAt - a.dueAt);
}

export async function readRunStarts(redis: Redis, name: string): Promise<RunStart[]> {
  return (await redis.lrange(startsKey(name), 0, -1)).map((v) => JSON.parse(v) as RunStart);
}

export async function deleteRunRecords(redis: Redis, name: string): Promise<void> {
  await redis.del(runsKey(name), startsKey(name));
}
