import { describe, expect, it } from 'vitest';
import { applyPolicy, subtractDuration } from '../../src/repository/forget-policy.js';
import { UsageError } from '../../src/errors.js';

// One snapshot every 6 hours from 2026-01-01 00:00 UTC for 90 days (360 snapshots).
const snaps = Array.from({ length: 360 }, (_, i) => ({ id: `s${String(i).padStart(3, '0')}`, time: new Date(Date.UTC(2026, 0, 1) + i * 6 * 3600_000).toISOString() }));
const kept = (p: Parameters<typeof applyPolicy>[1]): string[] => applyPolicy(snaps, p).keep.map((k) => k.snapshot.id);

describe('forget policy', () => {
  it('keep-last keeps the N newest', () => {
    expect(kept({ last: 3 })).toEqual(['s359', 's358', 's357']);
  });

  it('keep-daily keeps the newest snapshot of each of the last N days', () => {
    // Day 90 (2026-03-31) has s356..s359; the newest of each day is the 18:00 one.
    expect(kept({ daily: 3 })).toEqual(['s359', 's355', 's351']);
  });

  it('keep-hourly counts only hours that have a snapshot', () => {
    expect(kept({ hourly: 2 })).toEqual(['s359', 's358']);
  });

  it('keep-weekly uses ISO weeks, keep-monthly calendar months, keep-yearly years', () => {
    const weekly = applyPolicy(snaps, { weekly: 2 }).keep;
    expect(weekly.map((k) => k.reasons[0])).toEqual(['weekly 2026-W14', 'weekly 2026-W13']);
    // 2026-03-29 is a Sunday: the newest snapshot of week 13 is 2026-03-29T18:00.
    expect(weekly[1].snapshot.time).toBe('2026-03-29T18:00:00.000Z');
    expect(kept({ monthly: 5 })).toEqual(['s359', 's235', 's123']); // Mar 31, Feb 28, Jan 31
    expect(kept({ yearly: 5 })).toEqual(['s359']);
  });

  it('keep-within keeps everything within the duration of the newest snapshot', () => {
    expect(kept({ within: '1d' })).toEqual(['s359', 's358', 's357', 's356', 's355']);
    expect(subtractDuration(new Date('2026-03-31T00:00:00Z'), '1m').toISOString()).toBe('2026-03-03T00:00:00.000Z');
  });

  it('combines rules (union) and records why each snapshot is kept', () => {
    const d = applyPolicy(snaps, { last: 2, daily: 2, monthly: 2 });
    expect(d.keep.map((k) => k.snapshot.id)).toEqual(['s359', 's358', 's355', 's235']);
    expect(d.keep[0].reasons).toEqual(['last', 'daily 2026-03-31', 'monthly 2026-03']);
    expect(d.remove.length).toBe(360 - 4);
  });

  it('refuses an empty policy and a malformed duration', () => {
    expect(() => applyPolicy(snaps, {})).toThrow(UsageError);
    expect(() => applyPolicy(snaps, { within: '3 weeks' })).toThrow(/not a duration/);
  });
});
