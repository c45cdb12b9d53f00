// Cron arithmetic and missed-run accounting of schedules (src/schedule/cron.ts, status.ts).
import { describe, expect, it } from 'vitest';
import { checkCron, fireTimesBetween, isSuperseded, missedFireTimes, nextFireTime } from '../../src/schedule/cron.js';
import { graceFor, scheduleStatus } from '../../src/schedule/status.js';
import type { RunRecord } from '../../src/schedule/run-records.js';
import type { ScheduleSpec } from '../../src/schedule/spec.js';
import { checkRetention } from '../../src/schedule/spec.js';

const at = (iso: string): number => Date.parse(iso);

function spec(cron: string, createdAt: string): ScheduleSpec {
  return { name: 'nightly', cron, tz: 'UTC', cloud: {}, repo: '/r', projects: [], allProjects: false, retention: { daily: 7 }, prune: false, createdAt };
}

describe('cron fire times', () => {
  it('nextFireTime of a nightly pattern is the next 02:00 UTC', () => {
    expect(new Date(nextFireTime('0 2 * * *', 'UTC', at('2026-12-07T03:00:00Z'))).toISOString()).toBe('2026-12-08T02:00:00.000Z');
    expect(new Date(nextFireTime('0 2 * * *', 'UTC', at('2026-12-07T01:59:59Z'))).toISOString()).toBe('2026-12-07T02:00:00.000Z');
  });

  it('honours the time zone of the pattern', () => {
    // 02:00 in Berlin (UTC+1 in December) is 01:00 UTC
    expect(new Date(nextFireTime('0 2 * * *', 'Europe/Berlin', at('2026-12-07T00:00:00Z'))).toISOString()).toBe('2026-12-07T01:00:00.000Z');
  });

  it('fireTimesBetween lists (from, to] newest first, to included, up to the limit', () => {
    const times = fireTimesBetween('*/15 * * * *', 'UTC', at('2026-12-07T10:00:00Z'), at('2026-12-07T11:00:00Z'), 10).map((t) => new Date(t).toISOString());
    expect(times).toEqual(['2026-12-07T11:00:00.000Z', '2026-12-07T10:45:00.000Z', '2026-12-07T10:30:00.000Z', '2026-12-07T10:15:00.000Z']);
    expect(fireTimesBetween('* * * * *', 'UTC', 0, at('2026-12-07T11:00:00Z'), 3)).toHaveLength(3);
  });

  it('refuses a malformed pattern with a usage error that shows the form', () => {
    expect(() => checkCron('61 * * * *')).toThrow(/not a valid cron pattern.*minute hour day-of-month/);
    expect(() => checkCron('every night')).toThrow(/has 2 fields: use five fields/);
    expect(() => checkCron('0 2 * *')).toThrow(/has 4 fields/);
    expect(() => checkCron('0 0 2 * * *')).toThrow(/has 6 fields/);
    expect(() => checkCron('0 2 * * *', 'Mars/Olympus')).toThrow(/not a valid cron pattern/);
    expect(checkCron('0 2 * * 1-5')).toBe('0 2 * * 1-5');
  });

  it('a job picked up after the next fire time is superseded, a slightly late one is not', () => {
    const due = at('2026-12-07T02:00:00Z');
    expect(isSuperseded('0 2 * * *', 'UTC', due, due + 3 * 3600_000)).toBe(false);
    expect(isSuperseded('0 2 * * *', 'UTC', due, due + 24 * 3600_000)).toBe(true);
    expect(isSuperseded('* * * * *', 'UTC', due, due + 20_000)).toBe(false);
    expect(isSuperseded('* * * * *', 'UTC', due, due + 61_000)).toBe(true);
  });
});

describe('missed runs', () => {
  it('fire times past the grace with no record and no active job are missed', () => {
    const missed = missedFireTimes({
      pattern: '* * * * *',
      tz: 'UTC',
      since: at('2026-12-07T10:00:30Z'),
      now: at('2026-12-07T10:05:10Z'),
      accounted: new Set([at('2026-12-07T10:01:00Z'), at('2026-12-07T10:03:00Z')]),
      graceMs: 30_000,
      limit: 20,
    });
    // 10:05 is within the grace; 10:01 and 10:03 ran; nothing before the schedule existed
    expect(missed.map((t) => new Date(t).toISOString())).toEqual(['2026-12-07T10:04:00.000Z', '2026-12-07T10:02:00.000Z']);
  });

  it('the grace is half the interval, at most five minutes', () => {
    expect(graceFor('* * * * *', 'UTC', at('2026-12-07T10:00:10Z'))).toBe(30_000);
    expect(graceFor('0 2 * * *', 'UTC', at('2026-12-07T10:00:10Z'))).toBe(300_000);
  });

  it('scheduleStatus: last run, recorded and unrecorded misses, manual runs not counted as fire times', () => {
    const records: RunRecord[] = [
      { dueAt: at('2026-12-07T10:04:30Z'), trigger: 'manual', status: 'ok', attempts: 1, snapshots: ['m'] },
      { dueAt: at('2026-12-07T10:03:00Z'), trigger: 'schedule', status: 'missed', attempts: 1, reason: 'late' },
      { dueAt: at('2026-12-07T10:02:00Z'), trigger: 'schedule', status: 'ok', attempts: 2, snapshots: ['a'], retention: { kept: 2, removed: 1 } },
    ];
    const s = scheduleStatus(spec('* * * * *', '2026-12-07T10:01:30Z'), at('2026-12-07T10:06:00Z'), records, new Set([at('2026-12-07T10:05:00Z')]), at('2026-12-07T10:05:40Z'));
    expect(s.lastRun?.trigger).toBe('manual');
    expect(s.missed).toEqual(['2026-12-07T10:04:00.000Z', '2026-12-07T10:03:00.000Z']);
    expect(s.next).toBe('2026-12-07T10:06:00.000Z');
    expect(s.runs).toHaveLength(3);
  });

  it('a schedule created after its last fire time has missed nothing', () => {
    const s = scheduleStatus(spec('0 2 * * *', '2026-12-07T03:00:00Z'), undefined, [], new Set(), at('2026-12-07T23:00:00Z'));
    expect(s.missed).toEqual([]);
    expect(s.lastRun).toBeUndefined();
  });
});

describe('schedule retention', () => {
  it('needs a rule that keeps something', () => {
    expect(() => checkRetention({})).toThrow(/needs a retention policy/);
    expect(() => checkRetention({ last: 0, daily: 0 })).toThrow(/keeps no snapshot/);
    expect(checkRetention({ daily: 7, weekly: 4 })).toEqual({ daily: 7, weekly: 4 });
  });
});
