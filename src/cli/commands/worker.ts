// `permafrost worker`: runs the queue's jobs (scheduled backups; more job kinds plug in through
// src/queue/job-kinds.ts). The first SIGTERM/SIGINT stops taking jobs and lets the running ones
// finish; a second one interrupts them cleanly. A worker killed outright loses its jobs to the
// other workers through BullMQ's stalled-job check. See docs/schedules.md.
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../../errors.js';
import { queueUrlFrom } from '../../queue/connection.js';
import { registerJobKind } from '../../queue/job-kinds.js';
import { startQueueWorker } from '../../queue/worker.js';
import { scheduledBackupJob } from '../../schedule/job.js';

interface WorkerOpts {
  queue?: string;
  concurrency: string;
  lockDuration: string;
  stalledInterval: string;
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} needs a whole number ≥ 1, not "${value}"`);
  return n;
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('run the jobs of a queue (scheduled backups); start one or more per machine')
    .option('--queue <url>', 'Redis of the queue: redis://HOST:6379/DB (env PERMAFROST_QUEUE)')
    .option('--concurrency <n>', 'jobs this worker runs at the same time', '1')
    .option('--lock-duration <seconds>', "how long a job's lock lasts unrenewed: a killed worker's job goes to another worker after about this", '30')
    .option('--stalled-interval <seconds>', 'how often to look for jobs of killed workers', '30')
    .action(async (opts: WorkerOpts) => {
      const url = queueUrlFrom(opts.queue);
      if (!url) throw new UsageError('no queue given: use --queue redis://HOST:6379/DB or set PERMAFROST_QUEUE');
      registerJobKind(scheduledBackupJob);
      const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const worker = await startQueueWorker({
        url,
        concurrency: positive(opts.concurrency, '--concurrency'),
        lockDurationMs: positive(opts.lockDuration, '--lock-duration') * 1000,
        stalledIntervalMs: positive(opts.stalledInterval, '--stalled-interval') * 1000,
        log,
      });
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals): void => {
        signals++;
        if (signals === 1) {
          log(`${sig}: finishing the running jobs, taking no new ones (send again to interrupt them)`);
          void worker.stop();
        } else {
          log(`${sig} again: interrupting the running jobs`);
          process.exitCode = ExitCode.interrupted;
          void worker.interrupt();
        }
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      await worker.closed;
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    });
}
