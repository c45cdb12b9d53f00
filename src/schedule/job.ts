// The `scheduled-backup` job kind: what a worker does with a schedule's job. A job picked up
// after its schedule's next fire time (no worker was up when it was due) is recorded as missed
// instead of run; every other run is recorded from start to result.
import { PlainReporter } from '../backup/reporters.js';
import type { JobContext, JobKind } from '../queue/job-kinds.js';
import { isSuperseded } from './cron.js';
import { logRunStart, writeRunRecord, type RunRecord } from './run-records.js';
import { runScheduledBackup, type RunOutcome } from './run-scheduled.js';
import { parseScheduleSpec, type ScheduleSpec } from './spec.js';
import { SCHEDULED_BACKUP } from './store.js';

export const scheduledBackupJob: JobKind<ScheduleSpec, RunRecord> = {
  name: SCHEDULED_BACKUP,
  parse: (data, jobId) => parseScheduleSpec(data, jobId),
  run: runScheduleJob,
};

async function runScheduleJob(spec: ScheduleSpec, ctx: JobContext): Promise<RunRecord> {
  const trigger = ctx.schedulerId === undefined ? 'manual' : 'schedule';
  const base = { dueAt: ctx.dueAt, trigger, workerId: ctx.workerId, attempts: ctx.attemptsStarted } as const;
  const now = Date.now();
  if (trigger === 'schedule' && isSuperseded(spec.cron, spec.tz ?? 'UTC', ctx.dueAt, now)) {
    const missed: RunRecord = { ...base, status: 'missed', reason: `no worker was up at ${new Date(ctx.dueAt).toISOString()}; picked up at ${new Date(now).toISOString()}, after the next fire time, so not run` };
    await writeRunRecord(ctx.redis, spec.name, missed);
    return missed;
  }
  const startedAt = new Date().toISOString();
  await logRunStart(ctx.redis, spec.name, { dueAt: ctx.dueAt, workerId: ctx.workerId, attempt: ctx.attemptsStarted, at: startedAt });
  await writeRunRecord(ctx.redis, spec.name, { ...base, status: 'running', startedAt });
  const outcome = await runScheduledBackup(spec, { reporter: new PlainReporter(process.stderr), signal: ctx.signal });
  const record = recordOf(outcome, { ...base, startedAt, finishedAt: new Date().toISOString() });
  await writeRunRecord(ctx.redis, spec.name, record);
  if (record.status === 'failed') throw new Error(`schedule ${spec.name}: ${record.reason ?? 'failed'}`);
  return record;
}

/** A run's outcome as its record (what `schedule list` shows). */
export function recordOf(outcome: RunOutcome, base: Pick<RunRecord, 'dueAt' | 'trigger' | 'attempts'> & Partial<RunRecord>): RunRecord {
  const retention = outcome.retention;
  return {
    ...base,
    status: outcome.status,
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    snapshots: outcome.projects.flatMap((p) => (p.snapshot ? [p.snapshot] : [])),
    ...(retention
      ? {
          retention: {
            kept: retention.projects.reduce((n, p) => n + p.kept.length, 0),
            removed: retention.projects.reduce((n, p) => n + p.removed.length, 0),
            ...(retention.prune ? { prune: { packsDeleted: retention.prune.packsDeleted, bytesFreed: retention.prune.bytesFreed } } : {}),
          },
        }
      : {}),
  };
}
