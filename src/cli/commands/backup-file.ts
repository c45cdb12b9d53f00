// `permafrost backup-file PATH|-`: stores one file or stdin as a snapshot with one stream.
import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ThroughputMeter, progressMode } from '../../../streams/throughput-meter.js';
import { InputReadError } from '../../../streams/chunk-source.js';
import { ExitCode, PermafrostError, UsageError } from '../../errors.js';
import { prestartSealPool } from '../../repository/repository.js';
import type { ChunkerKind } from '../../repository/types.js';
import { addRepoOptions, collect, formatBytes, parseTags, printJson, withRepo, type RepoCliOptions } from '../repo-access.js';

interface BackupOpts extends RepoCliOptions {
  name?: string;
  chunker: string;
  tag?: string[];
  parent?: string;
}

export function register(program: Command): void {
  addRepoOptions(
    program
      .command('backup-file <path>')
      .description('back up one file (a disk image, a database dump, …) or stdin ("-") as a new snapshot')
      .option('--name <name>', 'stream name in the snapshot (default: the file name, or "stdin")')
      .option('--chunker <kind>', 'fixed (disk images: 1 MiB chunks + 4 KiB sub-block deltas) or cdc (content-defined: dumps, archives)', 'fixed')
      .option('--tag <key=value>', 'label the snapshot (repeatable)', collect)
      .option('--parent <snapshot>', 'delta parent (default: the latest snapshot with a stream of the same name)')
      .option('--json', 'JSON progress events on stderr and the result as JSON on stdout'),
    { writeOnly: true },
  ).action(async (file: string, opts: BackupOpts) => {
    if (opts.chunker !== 'fixed' && opts.chunker !== 'cdc') throw new UsageError(`--chunker must be fixed or cdc, not "${opts.chunker}"`);
    const fromStdin = file === '-';
    let total: number | undefined;
    if (!fromStdin) {
      const st = await stat(file).catch((err: NodeJS.ErrnoException) => {
        throw new PermafrostError(`cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`, err.code === 'ENOENT' ? ExitCode.notFound : ExitCode.config);
      });
      if (!st.isFile() && !st.isBlockDevice()) throw new UsageError(`${file} is not a regular file or block device`);
      total = st.isFile() ? st.size : undefined;
    }
    const name = opts.name ?? (fromStdin ? 'stdin' : path.basename(file));
    // The workers start while the key is derived and the index loaded (restore-file does the same).
    prestartSealPool();
    await withRepo(opts, async (repo) => {
      const meter = new ThroughputMeter('backup', progressMode({ json: opts.json }), total);
      const writer = await repo.startSnapshot({ type: 'file', tags: parseTags(opts.tag), parent: opts.parent, onBytes: (n) => meter.add(n) });
      const input = fromStdin ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
      let result;
      try {
        result = await writer.writeStream(name, input, { chunker: opts.chunker as ChunkerKind });
      } catch (err) {
        await writer.abort();
        if (err instanceof InputReadError) {
          throw new PermafrostError(
            `cannot read ${fromStdin ? 'standard input' : file}: ${err.message} — nothing was saved; check the input's disk or permissions and run again`,
            err.code === 'EACCES' || err.code === 'EPERM' ? ExitCode.forbidden : ExitCode.config,
            { cause: err },
          );
        }
        throw err;
      }
      const info = await writer.commit();
      meter.finish({ snapshot: info.id });
      if (opts.json) printJson({ snapshot: info, stream: result, mibPerSec: Number(meter.mibPerSec.toFixed(1)), seconds: meter.elapsedSec });
      else {
        const s = info.stats;
        process.stdout.write(
          `snapshot ${info.id.slice(0, 8)} saved: ${name}, ${formatBytes(result.size)} read, ${formatBytes(s.bytesNew)} new in ${s.chunksNew} chunks ` +
            `(${s.chunksReused} reused), ${formatBytes(s.bytesStored)} stored, ${meter.mibPerSec.toFixed(0)} MiB/s` +
            (info.parent ? `, parent ${info.parent.slice(0, 8)}` : '') +
            '\n',
        );
      }
    });
  });
}
