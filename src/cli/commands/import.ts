// `permafrost import < bundle.tar`: adds a bundle's snapshot to this repository (re-encrypted with
// this repository's keys and deduplicated against it).
import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { ThroughputMeter, progressMode } from '../../../streams/throughput-meter.js';
import { UsageError } from '../../errors.js';
import { importBundle } from '../../repository/bundle.js';
import { readPasswordFile } from '../../repository/index.js';
import { addRepoOptions, cliPassword, formatBytes, printJson, withRepo, type RepoCliOptions } from '../repo-access.js';

export function register(program: Command): void {
  addRepoOptions(
    program
      .command('import')
      .description('add the snapshot of a bundle (from stdin or a file) to this repository')
      .option('-i, --input <file>', 'read the bundle from FILE instead of stdin')
      .option('--bundle-password-file <file>', "password of the bundle's source repository (else PERMAFROST_BUNDLE_PASSWORD, else this repository's password)")
      .option('--json', 'print the result as JSON'),
    { writeOnly: true },
  ).action(async (opts: RepoCliOptions & { input?: string; bundlePasswordFile?: string }) => {
    if (!opts.input && process.stdin.isTTY) throw new UsageError('no bundle on stdin: pipe one in (`permafrost export … | permafrost import …`) or use -i FILE');
    const sourcePassword = opts.bundlePasswordFile
      ? await readPasswordFile(opts.bundlePasswordFile)
      : (process.env.PERMAFROST_BUNDLE_PASSWORD ?? (await cliPassword(opts, 'password of the bundle: ')));
    if (sourcePassword === undefined) throw new UsageError('no bundle password: use --bundle-password-file or PERMAFROST_BUNDLE_PASSWORD');
    await withRepo(opts, async (repo) => {
      const meter = new ThroughputMeter('import', progressMode({ json: opts.json }));
      const input = opts.input ? createReadStream(opts.input) : process.stdin;
      const info = await importBundle(repo, input, { sourcePassword, onBytes: (n) => meter.add(n) });
      meter.finish({ snapshot: info.id });
      if (opts.json) printJson(info);
      else process.stdout.write(`imported snapshot ${info.id.slice(0, 8)} (${info.streams.join(', ')}): ${formatBytes(info.stats.bytesRead)} read, ${formatBytes(info.stats.bytesStored)} stored\n`);
    });
  });
}
