// The --keep-* options of a retention policy, shared by `forget` and the schedule commands.
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { RetentionPolicy } from '../repository/forget-policy.js';

const KEEP_COUNTS = [
  ['last', 'keepLast', '--keep-last <n>', 'keep the N newest snapshots of each group (per project by default)'],
  ['hourly', 'keepHourly', '--keep-hourly <n>', 'keep one per hour for the last N hours that have one'],
  ['daily', 'keepDaily', '--keep-daily <n>', 'keep one per day for the last N days that have one'],
  ['weekly', 'keepWeekly', '--keep-weekly <n>', 'keep one per ISO week for the last N weeks that have one'],
  ['monthly', 'keepMonthly', '--keep-monthly <n>', 'keep one per month for the last N months that have one'],
  ['yearly', 'keepYearly', '--keep-yearly <n>', 'keep one per year for the last N years that have one'],
] as const;

/** `--keep-last` … `--keep-within` as commander hands them over. */
export type KeepCliOptions = { [K in (typeof KEEP_COUNTS)[number][1]]?: string } & { keepWithin?: string };

export function addKeepOptions(cmd: Command): Command {
  for (const [, , flag, text] of KEEP_COUNTS) cmd.option(flag, text);
  return cmd.option('--keep-within <duration>', 'keep all snapshots within DURATION (e.g. 30d, 6m, 1y2m, 12h) of the newest one');
}

function count(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} needs a whole number ≥ 0, not "${v}"`);
  return n;
}

/** The policy the --keep-* options describe (rules not given stay undefined). */
export function keepPolicy(opts: KeepCliOptions): RetentionPolicy {
  const policy: RetentionPolicy = { within: opts.keepWithin };
  for (const [rule, key, flag] of KEEP_COUNTS) policy[rule] = count(opts[key], flag.split(' ')[0]!);
  return policy;
}

/** The --keep-* arguments that give `policy` back (its tag rules are not --keep-* counts). */
export function keepArguments(policy: RetentionPolicy): string[] {
  const args: string[] = [];
  for (const [rule, , flag] of KEEP_COUNTS) if (policy[rule] !== undefined) args.push(flag.split(' ')[0]!, String(policy[rule]));
  if (policy.within !== undefined) args.push('--keep-within', policy.within);
  return args;
}
