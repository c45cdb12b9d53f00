// `permafrost forget`: removes snapshots according to a retention policy (optionally then prunes).
import type { Command } from 'commander';
import { type RetentionPolicy } from '../../repository/forget-policy.js';
import { planForget, planJson, type ForgetPlan } from '../../repository/forget-plan.js';
import { DEFAULT_GROUP_BY, GROUP_FIELDS } from '../../repository/snapshot-select.js';
import { snapshotKey } from '../../repository/format.js';
import { RepoLock } from '../../repository/locks.js';
import { prune } from '../../repository/prune.js';
import { addRepoOptions, collect, formatBytes, printJson, withRepo, type RepoCliOptions } from '../repo-access.js';
import { addKeepOptions, keepPolicy, type KeepCliOptions } from '../keep-options.js';
import { phaseProgress } from '../progress-bar.js';
import { addSnapshotFilterOptions, filterFromOptions, type SnapshotFilterCliOptions } from '../snapshot-filter-options.js';

interface ForgetOpts extends RepoCliOptions, SnapshotFilterCliOptions, KeepCliOptions {
  keepTag?: string[];
  groupBy: string;
  allowEmpty?: boolean;
  dryRun?: boolean;
  prune?: boolean;
}

function policyOf(opts: ForgetOpts): RetentionPolicy {
  return { ...keepPolicy(opts), tags: opts.keepTag };
}

export function register(program: Command): void {
  const cmd = program
    .command('forget')
    .description('remove snapshots that no --keep-* rule keeps (per group); add --prune to free the space');
  addKeepOptions(cmd)
    .option('--keep-tag <key[=value]>', 'keep every snapshot carrying this tag; repeatable', collect)
    .option('--group-by <fields>', `apply the policy per group: ${GROUP_FIELDS.join(', ')}; auto = project snapshots by type,cloud,project, others by type,host,streams`, DEFAULT_GROUP_BY)
    .option('--allow-empty', 'allow removing the last snapshot of a project')
    .option('--dry-run', 'only show what would be kept (and by which rule) and removed')
    .option('--prune', 'run prune afterwards to free the space')
    .option('--json', 'print the decision as one JSON document');
  addSnapshotFilterOptions(cmd);
  addRepoOptions(cmd).action(async (opts: ForgetOpts) => {
    const policy = policyOf(opts);
    await withRepo(opts, async (repo) => {
      const plan = planForget(await repo.listSnapshots(), { policy, filter: filterFromOptions(opts), groupBy: opts.groupBy, allowEmpty: Boolean(opts.allowEmpty) });
      if (!opts.dryRun && plan.remove.length > 0) {
        const lock = await RepoLock.acquire(repo.backend, true, 'forget');
        try {
          for (const s of plan.remove) await repo.backend.delete(snapshotKey(s.id));
        } finally {
          await lock.release();
        }
      }
      const progress = phaseProgress('prune', opts);
      const pruned = opts.prune && !opts.dryRun ? await prune(repo, { onProgress: progress.update }).finally(() => progress.stop()) : undefined;
      if (opts.json) return printJson({ ...planJson(plan, Boolean(opts.dryRun)), ...(pruned ? { prune: pruned } : {}) });
      printPlan(plan, Boolean(opts.dryRun));
      if (pruned) process.stdout.write(`prune: ${pruned.packsDeleted} packs deleted, ${pruned.packsRepacked} repacked, ${formatBytes(pruned.bytesFreed)} freed\n`);
    });
  });
}

function printPlan(plan: ForgetPlan, dryRun: boolean): void {
  if (plan.groups.length === 0) process.stdout.write('no snapshot matches the selection\n');
  for (const d of plan.groups) {
    process.stdout.write(`group ${d.group}: keep ${d.keep.length}, ${dryRun ? 'would remove' : 'remove'} ${d.remove.length}\n`);
    for (const k of d.keep) process.stdout.write(`  keep   ${k.snapshot.id.slice(0, 8)} ${k.snapshot.time}  (${k.reasons.join(', ')})\n`);
    for (const s of d.remove) process.stdout.write(`  ${dryRun ? 'would remove' : 'remove'} ${s.id.slice(0, 8)} ${s.time}  (no rule keeps it)\n`);
  }
  if (plan.emptied.length > 0) process.stdout.write(`--allow-empty: no snapshot left of ${plan.emptied.join(', ')}\n`);
}

/** Kept for callers of the earlier forget module; the grouping lives in repository/snapshot-select.ts. */
export { groupKey } from '../../repository/snapshot-select.js';
