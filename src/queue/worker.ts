// A permafrost worker: takes jobs from the queue (BullMQ) and runs each with the job kind of its
// name. Locks are renewed while a job runs; a worker that dies (SIGKILL, machine lost) stops
// renewing, BullMQ's stalled-job check moves its job back to the queue and another worker runs it.
import os from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { connectQueue, describeQueueUrl, QUEUE_NAME } from './connection.js';
import { jobKind, jobKindNames } from './job-kinds.js';

export interface QueueWorkerOptions {
  url: string;
  concurrency: number;
  /** How long a job's lock lasts without renewal: a dead worker's job is free after this. */
  lockDurationMs: number;
  /** How often workers look for stalled jobs. */
  stalledIntervalMs: number;
  log: (line: string) => void;
}

export interface RunningWorker {
  workerId: string;
  /** Stops taking jobs and waits for the running ones to finish. */
  stop(): Promise<void>;
  /** Interrupts the running jobs (they stop cleanly and are recorded as failed), then stops. */
  interrupt(): Promise<void>;
  /** Resolves when the worker has stopped. */
  closed: Promise<void>;
}

export async function startQueueWorker(opts: QueueWorkerOptions): Promise<RunningWorker> {
  const connection = await connectQueue(opts.url);
  const workerId = `${os.hostname()}:${process.pid}`;
  const interruptRuns = new AbortController();
  const processor = async (job: Job): Promise<unknown> => {
    const kind = jobKind(job.name);
    if (!kind) throw new UnrecoverableError(`this worker runs ${jobKindNames().join(', ')}; job ${job.id} is a "${job.name}" (a newer permafrost added it?)`);
    const data = kind.parse(job.data, job.id ?? '?');
    opts.log(`job ${job.id} (${job.name}) started, attempt ${job.attemptsStarted}`);
    return kind.run(data, {
      jobId: job.id ?? '?',
      attemptsStarted: job.attemptsStarted,
      dueAt: Number(job.opts.prevMillis ?? job.timestamp),
      ...(job.repeatJobKey ? { schedulerId: job.repeatJobKey } : {}),
      workerId,
      redis: connection,
      signal: interruptRuns.signal,
    });
  };
  const worker = new Worker(QUEUE_NAME, processor, {
    connection,
    concurrency: opts.concurrency,
    lockDuration: opts.lockDurationMs,
    stalledInterval: opts.stalledIntervalMs,
    maxStalledCount: 1,
    name: workerId,
  });
  worker.on('completed', (job) => opts.log(`job ${job.id} (${job.name}) done`));
  worker.on('failed', (job, err) => opts.log(`job ${job?.id ?? '?'} (${job?.name ?? '?'}) failed: ${err.message}`));
  worker.on('stalled', (jobId) => opts.log(`job ${jobId} stalled (its worker stopped renewing the lock): back in the queue`));
  worker.on('error', (err) => opts.log(`queue error: ${err.message}`));
  await worker.waitUntilReady();
  opts.log(`worker ${workerId} on ${describeQueueUrl(opts.url)} runs ${jobKindNames().join(', ')}`);

  let closing: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (closing ??= worker.close().then(() => {
      connection.disconnect();
      opts.log(`worker ${workerId} stopped`);
    }));
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  worker.on('closed', () => resolveClosed());
  return {
    workerId,
    stop,
    interrupt: async () => {
      interruptRuns.abort();
      await stop();
    },
    closed,
  };
}
