// The kinds of job a permafrost worker can run, by BullMQ job name. A kind registers itself here
// (scheduled backups now; all-tenant dump jobs plug in the same way) and the worker dispatches
// every job it takes to the kind of that name.
import type { Redis } from 'ioredis';

export interface JobContext {
  jobId: string;
  /** How many times a worker started this job (2 and more: taken over after a stall). */
  attemptsStarted: number;
  /** When the job was due (ms since the epoch): its scheduler's fire time, or when it was added. */
  dueAt: number;
  /** The job scheduler that produced the job; undefined for a job added directly. */
  schedulerId?: string;
  /** `hostname:pid` of the worker running it. */
  workerId: string;
  /** Connection to the queue's Redis, for the kind's own records. */
  redis: Redis;
  /** Aborted when the worker is told to stop now. */
  signal: AbortSignal;
}

export interface JobKind<Data = unknown, Result = unknown> {
  name: string;
  /** Validates the job's data (written by another process, maybe another version). */
  parse(data: unknown, jobId: string): Data;
  run(data: Data, ctx: JobContext): Promise<Result>;
}

const kinds = new Map<string, JobKind>();

export function registerJobKind<D, R>(kind: JobKind<D, R>): void {
  kinds.set(kind.name, kind as unknown as JobKind);
}

export function jobKind(name: string): JobKind | undefined {
  return kinds.get(name);
}

export function jobKindNames(): string[] {
  return [...kinds.keys()].sort();
}
