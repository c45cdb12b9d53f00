// `permafrost prune`: deletes data no snapshot references and repacks partly used packs.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { prune } from '../../repository/prune.js';
import { phaseProgress } from '../progress-bar.js';
import { addRepoOptions, formatBytes, printJson, withRepo, type RepoCliOptions } from '../repo-access.js';

export function register(program: Command): void {
  addRepoOptions(
    program
      .command('prune')
      .description('delete unreferenced data and repack partly used packs (takes an exclusive lock)')
      .option('--repack-threshold <percent>', 'repack a pack when at least PERCENT of its bytes are unused', '10')
      .option('--dry-run', 'only report what would be done')
      .option('--json', 'print the report as JSON'),
    { writeOnly: true },
  ).action(async (opts: RepoCliOptions & { repackThreshold: string; dryRun?: boolean }) => {
    const pct = Number(opts.repackThreshold);
    if (!(pct >= 0 && pct <= 100)) throw new UsageError('--repack-threshold must be a percentage 0…100');
    await withRepo(opts, async (repo) => {
      const progress = phaseProgress('prune', opts);
      const report = await prune(repo, { repackThreshold: pct / 100, dryRun: opts.dryRun, onProgress: progress.update }).finally(() => progress.stop());
      if (opts.json) return printJson(report);
      process.stdout.write(
        `${report.dryRun ? 'would delete' : 'deleted'} ${report.packsDeleted} unused packs, ${report.dryRun ? 'would repack' : 'repacked'} ${report.packsRepacked} ` +
          `(${report.packsWritten} written), ${report.orphanPacksDeleted} orphan packs; ${report.blobsUnused} unused blobs; ` +
          `${formatBytes(report.bytesBefore)} → ${formatBytes(report.bytesAfter)} (${formatBytes(report.bytesFreed)} freed)` +
          (report.packsReindexed > 0 ? `; ${report.packsReindexed} pack(s) in use had lost their index file: re-indexed from their trailer` : '') +
          '\n',
      );
    });
  });
}
