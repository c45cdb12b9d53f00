// Cron arithmetic of schedules (pure): validating a pattern, its fire times, and which of them
// passed without a recorded run (missed: no worker was up). cron-parser is the parser BullMQ
// itself uses for job schedulers, so these times are the times BullMQ produces jobs for.
import { CronExpressionParser } from 'cron-parser';
import { UsageError } from '../errors.js';

export const DEFAULT_TZ = 'UTC';

function parse(pattern: string, tz: string, currentDate: number) {
  return CronExpressionParser.parse(pattern, { currentDate: new Date(currentDate), tz });
}

/** Throws a usage error naming the problem when `pattern` is not a cron pattern. */
export function checkCron(pattern: string, tz = DEFAULT_TZ): string {
  const form = 'use five fields: minute hour day-of-month month day-of-week, e.g. "0 2 * * *"';
  const fields = pattern.trim().split(/\s+/).length;
  if (fields !== 5) throw new UsageError(`--cron "${pattern}" has ${fields} field${fields === 1 ? '' : 's'}: ${form}`);
  try {
    parse(pattern, tz, Date.now()).next();
  } catch (err) {
    throw new UsageError(`--cron "${pattern}" (time zone ${tz}) is not a valid cron pattern (${(err as Error).message}); ${form}, and --tz an IANA zone such as Europe/Berlin`);
  }
  return pattern;
}

/** The first fire time strictly after `after` (ms since the epoch). */
export function nextFireTime(pattern: string, tz: string, after: number): number {
  return parse(pattern, tz, after).next().getTime();
}

/** Fire times in (from, to], newest first, at most `limit` of them. */
export function fireTimesBetween(pattern: string, tz: string, from: number, to: number, limit: number): number[] {
  // prev() is strictly before currentDate: start just after `to` so that `to` itself counts.
  const it = parse(pattern, tz, to + 1);
  const times: number[] = [];
  while (times.length < limit) {
    let t: number;
    try {
      t = it.prev().getTime();
    } catch {
      break; // no earlier fire time
    }
    if (t <= from) break;
    times.push(t);
  }
  return times;
}

export interface MissedQuery {
  pattern: string;
  tz: string;
  /** When the schedule was created: nothing before can be missed. */
  since: number;
  now: number;
  /** Fire times for which a run is recorded (whatever its result) or a job is queued/active. */
  accounted: ReadonlySet<number>;
  /** How late a run may start before its fire time counts as missed. */
  graceMs: number;
  /** Look at most this many fire times back. */
  limit: number;
}

/** Fire times that passed (beyond the grace) with no run: newest first. */
export function missedFireTimes(q: MissedQuery): number[] {
  return fireTimesBetween(q.pattern, q.tz, q.since, q.now - q.graceMs, q.limit).filter((t) => !q.accounted.has(t));
}

/**
 * A scheduled job picked up after the next fire time of its pattern has passed is stale: no
 * worker was up when it was due. Running it then would overlap the run that is due now.
 */
export function isSuperseded(pattern: string, tz: string, fireTime: number, now: number): boolean {
  return nextFireTime(pattern, tz, fireTime) <= now;
}
