// `permafrost export SNAPSHOT > bundle.tar`: one tar stream with the snapshot and its encrypted blobs.
import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { UsageError } from '../../errors.js';
import { exportBundle } from '../../repository/bundle.js';
import { addRepoOptions, formatBytes, withRepo, type RepoCliOptions } from '../repo-access.js';

export function register(program: Command): void {
  addRepoOptions(
    program
      .command('export <snapshot>')
      .description('write a portable bundle (tar) of one snapshot to stdout or a file; import it with `permafrost import`')
      .option('-o, --output <file>', 'write to FILE instead of stdout')
      .option('--json', 'print the result as JSON on stderr'),
  ).action(async (snapshot: string, opts: RepoCliOptions & { output?: string }) => {
    if (!opts.output && process.stdout.isTTY) throw new UsageError('refusing to write a binary bundle to a terminal: redirect stdout or use -o FILE');
    await withRepo(opts, async (repo) => {
      repo.requireRead('export');
      const out = opts.output ? createWriteStream(opts.output, { mode: 0o600 }) : process.stdout;
      const report = await exportBundle(repo, snapshot, out);
      const line = opts.json ? JSON.stringify(report) : `exported snapshot ${report.snapshot.slice(0, 8)}: ${report.streams} streams, ${report.blobs} blobs, ${formatBytes(report.bytes)}`;
      process.stderr.write(`${line}\n`);
    });
  });
}
