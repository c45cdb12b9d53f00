// Schedules in Redis: each one is a BullMQ job scheduler (id = schedule name, cron pattern,
// the schedule as the template's data). BullMQ keeps exactly one job per fire time, so however
// many workers are up, one of them starts each run.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ExitCode, PermafrostError } from '../errors.js';
import { connectQueue, QUEUE_NAME } from '../queue/connection.js';
import { deleteRunRecords } from './run-records.js';
import { parseScheduleSpec, type ScheduleSpec } from './spec.js';

export const SCHEDULED_BACKUP = 'scheduled-backup';

const JOB_OPTIONS = { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } };

export interface StoredSchedule {
  spec: ScheduleSpec;
  /** Next fire time BullMQ holds a job for (ms since the epoch). */
  next?: number;
}

export class ScheduleStore {
  private constructor(
    readonly redis: Redis,
    private readonly queue: Queue,
  ) {}

  static async open(url: string): Promise<ScheduleStore> {
    const redis = await connectQueue(url);
    return new ScheduleStore(redis, new Queue(QUEUE_NAME, { connection: redis }));
  }

  async add(spec: ScheduleSpec): Promise<void> {
    await this.queue.upsertJobScheduler(spec.name, { pattern: spec.cron, tz: spec.tz }, { name: SCHEDULED_BACKUP, data: spec, opts: JOB_OPTIONS });
  }

  async list(): Promise<StoredSchedule[]> {
    const schedulers = await this.queue.getJobSchedulers(0, -1, true);
    return schedulers
      .filter((s) => s.name === SCHEDULED_BACKUP)
      .map((s) => ({ spec: parseScheduleSpec(s.template?.data, s.key), ...(s.next !== undefined ? { next: Number(s.next) } : {}) }))
      .sort((a, b) => a.spec.name.localeCompare(b.spec.name));
  }

  async get(name: string): Promise<StoredSchedule> {
    const s = await this.queue.getJobScheduler(name);
    if (!s) throw new PermafrostError(`no schedule named "${name}" in this queue: see \`permafrost schedule list\``, ExitCode.notFound);
    return { spec: parseScheduleSpec(s.template?.data, name), ...(s.next !== undefined ? { next: Number(s.next) } : {}) };
  }

  async remove(name: string): Promise<void> {
    await this.get(name);
    await this.queue.removeJobScheduler(name);
    await deleteRunRecords(this.redis, name);
  }

  /** Queues a run now, outside the pattern; returns the job ID. */
  async runNow(name: string): Promise<string> {
    const { spec } = await this.get(name);
    const job = await this.queue.add(SCHEDULED_BACKUP, spec, { ...JOB_OPTIONS, jobId: `manual-${name}-${Date.now()}` });
    return job.id ?? '';
  }

  /** Due times of this schedule's runs that a worker is running now. */
  async activeDueTimes(name: string): Promise<Set<number>> {
    const jobs = await this.queue.getJobs(['active']);
    return new Set(jobs.filter((j) => j?.repeatJobKey === name).map((j) => Number(j.opts.prevMillis ?? j.timestamp)));
  }

  /** Workers connected to this queue (BullMQ names their connections; Redis lists clients of every database). */
  async workerCount(): Promise<number> {
    const db = String(this.redis.options.db ?? 0);
    return (await this.queue.getWorkers()).filter((w) => w.db === db).length;
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.redis.disconnect();
  }
}
