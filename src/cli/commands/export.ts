// `permafrost export SNAPSHOT > bundle.tar`: one tar stream with the snapshot and its encrypted blobs.
import type { Command } from 'commander';
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { PermafrostError, UsageError } from '../../errors.js';
import { exportBundle, type ExportReport } from '../../repository/bundle.js';
import { outputWriteError, writeOutputFile } from '../output-file.js';
import { formatOption } from '../common-options.js';
import { phaseProgress } from '../progress-bar.js';
import { addRepoOptions, formatBytes, printJson, withRepo, type RepoCliOptions } from '../repo-access.js';

/** Into a file: written beside it and renamed when complete (output-file.ts); write errors keep their exit codes. */
async function exportToFile(file: string, run: (out: Writable) => Promise<ExportReport>): Promise<ExportReport> {
  return writeOutputFile(file, async (temp) => {
    const fh = await open(temp, 'wx', 0o600).catch((err: unknown) => {
      throw outputWriteError(file, err);
    });
    try {
      return await run(fh.createWriteStream());
    } catch (err) {
      throw err instanceof PermafrostError || !(err as NodeJS.ErrnoException).code ? err : outputWriteError(file, err);
    } finally {
      await fh.close().catch(() => undefined);
    }
  });
}

export function register(program: Command): void {
  addRepoOptions(
    program
      .command('export <snapshot>')
      .description('write a portable bundle (tar) of one snapshot to stdout or a file; import it with `permafrost import`')
      .option('-o, --output <file>', 'write to FILE instead of stdout')
      .option('--json', 'print the result as one JSON document: on stdout with -o FILE, on stderr when the bundle goes to stdout')
      .addOption(formatOption()),
  ).action(async (snapshot: string, opts: RepoCliOptions & { output?: string; json?: boolean }) => {
    if (!opts.output && process.stdout.isTTY) throw new UsageError('refusing to write a binary bundle to a terminal: redirect stdout or use -o FILE');
    await withRepo(opts, async (repo) => {
      repo.requireRead('export');
      const progress = phaseProgress('export', { json: opts.json });
      const run = (out: Writable): Promise<ExportReport> => exportBundle(repo, snapshot, out, { onProgress: (done, total) => progress.update('blobs', done, total) });
      const report = await (opts.output ? exportToFile(opts.output, run) : run(process.stdout)).finally(() => progress.stop());
      if (opts.json && opts.output) return printJson(report);
      const line = opts.json ? JSON.stringify(report) : `exported snapshot ${report.snapshot.slice(0, 8)}: ${report.streams} streams, ${report.blobs} blobs, ${formatBytes(report.bytes)}`;
      process.stderr.write(`${line}\n`);
    });
  });
}
