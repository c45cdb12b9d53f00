// `permafrost forget`: removes snapshots according to a retention policy (optionally then prunes).
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { applyPolicy, type RetentionPolicy } from '../../repository/forget-policy.js';
import { snapshotKey } from '../../repository/format.js';
import { RepoLock } from '../../repository/locks.js';
import { prune } from '../../repository/prune.js';
import type { SnapshotInfo } from '../../repository/types.js';
import { addRepoOptions, formatBytes, printJson, withRepo, type RepoCliOptions } from '../repo-access.js';

interface ForgetOpts extends RepoCliOptions {
  keepLast?: string;
  keepHourly?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  keepYearly?: string;
  keepWithin?: string;
  groupBy: string;
  dryRun?: boolean;
  prune?: boolean;
}

function count(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} needs a whole number ≥ 0, not "${v}"`);
  return n;
}

export function groupKey(s: SnapshotInfo, groupBy: string): string {
  const parts: string[] = [];
  for (const field of groupBy.split(',').map((f) => f.trim()).filter(Boolean)) {
    if (field === 'type') parts.push(`type=${s.type}`);
    else if (field === 'host') parts.push(`host=${s.hostname}`);
    else if (field === 'streams') parts.push(`streams=${[...s.streams].sort().join('+')}`);
    else if (field.startsWith('tag:')) parts.push(`${field}=${s.tags[field.slice(4)] ?? ''}`);
    else throw new UsageError(`--group-by: unknown field "${field}" (use type, host, streams, tag:NAME)`);
  }
  return parts.join(' ');
}

export function register(program: Command): void {
  addRepoOptions(
    program
      .command('forget')
      .description('remove snapshots that no --keep-* rule keeps (per group); add --prune to free the space')
      .option('--keep-last <n>', 'keep the N newest snapshots')
      .option('--keep-hourly <n>', 'keep the newest snapshot of each of the last N hours that have one')
      .option('--keep-daily <n>', 'keep one per day for the last N days that have one')
      .option('--keep-weekly <n>', 'keep one per ISO week for the last N weeks that have one')
      .option('--keep-monthly <n>', 'keep one per month for the last N months that have one')
      .option('--keep-yearly <n>', 'keep one per year for the last N years that have one')
      .option('--keep-within <duration>', 'keep all snapshots within DURATION (e.g. 30d, 6m, 1y2m, 12h) of the newest one')
      .option('--group-by <fields>', 'apply the policy per group: type, host, streams, tag:NAME', 'type,host,streams')
      .option('--dry-run', 'only show what would be removed')
      .option('--prune', 'run prune afterwards to free the space')
      .option('--json', 'print the decision as JSON'),
  ).action(async (opts: ForgetOpts) => {
    const policy: RetentionPolicy = {
      last: count(opts.keepLast, '--keep-last'),
      hourly: count(opts.keepHourly, '--keep-hourly'),
      daily: count(opts.keepDaily, '--keep-daily'),
      weekly: count(opts.keepWeekly, '--keep-weekly'),
      monthly: count(opts.keepMonthly, '--keep-monthly'),
      yearly: count(opts.keepYearly, '--keep-yearly'),
      within: opts.keepWithin,
    };
    await withRepo(opts, async (repo) => {
      const groups = new Map<string, SnapshotInfo[]>();
      for (const s of await repo.listSnapshots()) {
        const k = groupKey(s, opts.groupBy);
        (groups.get(k) ?? groups.set(k, []).get(k)!).push(s);
      }
      const decisions = [...groups].map(([group, list]) => ({ group, ...applyPolicy(list, policy) }));
      const remove = decisions.flatMap((d) => d.remove);
      if (!opts.dryRun && remove.length > 0) {
        const lock = await RepoLock.acquire(repo.backend, true, 'forget');
        try {
          for (const s of remove) await repo.backend.delete(snapshotKey(s.id));
        } finally {
          await lock.release();
        }
      }
      const pruned = opts.prune && !opts.dryRun ? await prune(repo) : undefined;
      if (opts.json) {
        printJson({
          dryRun: Boolean(opts.dryRun),
          groups: decisions.map((d) => ({ group: d.group, keep: d.keep.map((k) => ({ id: k.snapshot.id, time: k.snapshot.time, reasons: k.reasons })), remove: d.remove.map((s) => ({ id: s.id, time: s.time })) })),
          ...(pruned ? { prune: pruned } : {}),
        });
        return;
      }
      for (const d of decisions) {
        process.stdout.write(`group ${d.group}: keep ${d.keep.length}, ${opts.dryRun ? 'would remove' : 'remove'} ${d.remove.length}\n`);
        for (const k of d.keep) process.stdout.write(`  keep   ${k.snapshot.id.slice(0, 8)} ${k.snapshot.time}  (${k.reasons.join(', ')})\n`);
        for (const s of d.remove) process.stdout.write(`  remove ${s.id.slice(0, 8)} ${s.time}\n`);
      }
      if (pruned) process.stdout.write(`prune: ${pruned.packsDeleted} packs deleted, ${pruned.packsRepacked} repacked, ${formatBytes(pruned.bytesFreed)} freed\n`);
    });
  });
}
