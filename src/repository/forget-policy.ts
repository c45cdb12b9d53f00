// Retention policy of `forget` (pure logic): which snapshots to keep. Semantics follow the
// well-known restic rules: within each group, newest first; keep-last N keeps the N newest;
// keep-hourly/daily/weekly/monthly/yearly N keep the newest snapshot of each of the N most recent
// periods that have one; keep-within D keeps everything newer than (newest snapshot − D);
// keep-tag KEY[=VALUE] keeps every snapshot carrying that tag.
// Periods are computed in UTC. A snapshot kept by any rule is kept.
import { UsageError } from '../errors.js';

export interface RetentionPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  /** Duration like `2y6m10d12h` (years, months, days, hours). */
  within?: string;
  /** KEY or KEY=VALUE: snapshots carrying one of these tags are kept. */
  tags?: string[];
}

export interface Dated {
  id: string;
  time: string;
  tags?: Record<string, string>;
}

export interface Decision<T extends Dated> {
  keep: { snapshot: T; reasons: string[] }[];
  remove: T[];
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** ISO-8601 week-numbering year and week of a UTC date. */
function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86400000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${pad(week)}`;
}

const buckets: [keyof RetentionPolicy, (d: Date) => string][] = [
  ['hourly', (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}`],
  ['daily', (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`],
  ['weekly', isoWeek],
  ['monthly', (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`],
  ['yearly', (d) => `${d.getUTCFullYear()}`],
];

/** Subtracts a `1y2m3d4h` duration from a date. */
export function subtractDuration(from: Date, duration: string): Date {
  const m = /^(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)d)?(?:(\d+)h)?$/.exec(duration.trim());
  if (!m || duration.trim() === '') throw new UsageError(`--keep-within "${duration}" is not a duration like 30d, 6m, 1y2m, 12h`);
  const d = new Date(from.getTime());
  d.setUTCFullYear(d.getUTCFullYear() - Number(m[1] ?? 0));
  d.setUTCMonth(d.getUTCMonth() - Number(m[2] ?? 0));
  d.setUTCDate(d.getUTCDate() - Number(m[3] ?? 0));
  d.setUTCHours(d.getUTCHours() - Number(m[4] ?? 0));
  return d;
}

export function policyIsEmpty(p: RetentionPolicy): boolean {
  return p.last === undefined && p.hourly === undefined && p.daily === undefined && p.weekly === undefined && p.monthly === undefined && p.yearly === undefined && p.within === undefined && !p.tags?.length;
}

/** Whether a snapshot carries the tag KEY (any value) or KEY=VALUE. */
export function carriesTag(s: Dated, spec: string): boolean {
  const eq = spec.indexOf('=');
  if (eq < 0) return s.tags !== undefined && spec in s.tags;
  return s.tags?.[spec.slice(0, eq)] === spec.slice(eq + 1);
}

/** Applies the policy to one group of snapshots. */
export function applyPolicy<T extends Dated>(snapshots: T[], policy: RetentionPolicy): Decision<T> {
  if (policyIsEmpty(policy)) throw new UsageError('no retention rule given: use at least one --keep-* option (forget never removes everything by default)');
  const sorted = [...snapshots].sort((a, b) => b.time.localeCompare(a.time) || b.id.localeCompare(a.id));
  const reasons = new Map<string, string[]>();
  const add = (s: T, why: string): void => void (reasons.get(s.id) ?? reasons.set(s.id, []).get(s.id)!).push(why);

  if (policy.last !== undefined) sorted.slice(0, policy.last).forEach((s) => add(s, 'last'));
  for (const [rule, bucketOf] of buckets) {
    const n = policy[rule] as number | undefined;
    if (n === undefined) continue;
    const seen = new Set<string>();
    for (const s of sorted) {
      if (seen.size >= n) break;
      const b = bucketOf(new Date(s.time));
      if (seen.has(b)) continue;
      seen.add(b);
      add(s, `${rule} ${b}`);
    }
  }
  if (policy.within !== undefined && sorted.length > 0) {
    const limit = subtractDuration(new Date(sorted[0].time), policy.within).getTime();
    for (const s of sorted) if (new Date(s.time).getTime() >= limit) add(s, `within ${policy.within}`);
  }
  for (const spec of policy.tags ?? []) for (const s of sorted) if (carriesTag(s, spec)) add(s, `tag ${spec}`);
  return {
    keep: sorted.filter((s) => reasons.has(s.id)).map((s) => ({ snapshot: s, reasons: reasons.get(s.id)! })),
    remove: sorted.filter((s) => !reasons.has(s.id)),
  };
}
