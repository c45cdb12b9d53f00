// What `schedule list` says about one schedule (pure): its last run and the fire times that were
// missed — recorded as missed by a worker that came too late, or with no record at all because
// no worker was up to take the job.
import { DEFAULT_TZ, fireTimesBetween, missedFireTimes, nextFireTime } from './cron.js';
import type { RunRecord } from './run-records.js';
import type { ScheduleSpec } from './spec.js';

/** Fire times looked at for missed runs. */
const LOOK_BACK = 20;

export interface ScheduleStatus {
  name: string;
  cron: string;
  tz: string;
  next?: string;
  lastRun?: RunRecord;
  /** Missed fire times, newest first (ISO). */
  missed: string[];
  /** Recent runs, newest first. */
  runs: RunRecord[];
}

/**
 * How late a run may start and still count as on time: half the interval between two fire
 * times, at most five minutes (a one-minute pattern: 30 s; a nightly one: 5 min).
 */
export function graceFor(cron: string, tz: string, now: number): number {
  const [a, b] = fireTimesBetween(cron, tz, 0, now, 2);
  const period = a !== undefined && b !== undefined ? a - b : nextFireTime(cron, tz, nextFireTime(cron, tz, now)) - nextFireTime(cron, tz, now);
  return Math.min(5 * 60_000, Math.floor(period / 2));
}

export function scheduleStatus(spec: ScheduleSpec, next: number | undefined, records: RunRecord[], active: ReadonlySet<number>, now: number): ScheduleStatus {
  const tz = spec.tz ?? DEFAULT_TZ;
  const scheduled = records.filter((r) => r.trigger === 'schedule');
  const accounted = new Set<number>([...scheduled.map((r) => r.dueAt), ...active]);
  const unrecorded = missedFireTimes({ pattern: spec.cron, tz, since: Date.parse(spec.createdAt), now, accounted, graceMs: graceFor(spec.cron, tz, now), limit: LOOK_BACK });
  const recordedMissed = scheduled.filter((r) => r.status === 'missed').map((r) => r.dueAt);
  const missed = [...new Set([...unrecorded, ...recordedMissed])].sort((a, b) => b - a).map((t) => new Date(t).toISOString());
  const lastRun = records.find((r) => r.status !== 'missed');
  return {
    name: spec.name,
    cron: spec.cron,
    tz,
    ...(next !== undefined ? { next: new Date(next).toISOString() } : {}),
    ...(lastRun ? { lastRun } : {}),
    missed,
    runs: records.slice(0, 10),
  };
}
