// `permafrost restore-file SNAPSHOT[:NAME] -o PATH|-`: writes one stream back. Into a file, zero
// runs (and all-zero 4 KiB blocks) become holes: nothing is written there, the file is extended
// with ftruncate, so a sparse image stays sparse. The SHA-256 is verified against the manifest.
import type { Command } from 'commander';
import crypto from 'node:crypto';
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import { ThroughputMeter, progressMode } from '../../../streams/throughput-meter.js';
import { BLOCK_SIZE } from '../../../streams/keyed-hash.js';
import { isAllZero, zeroBytes } from '../../../streams/zero-detect.js';
import { ExitCode, PermafrostError, UsageError } from '../../errors.js';
import type { Extent } from '../../repository/chunk-reader.js';
import { addRepoOptions, formatBytes, printJson, withRepo, type RepoCliOptions } from '../repo-access.js';

interface RestoreOpts extends RepoCliOptions {
  output?: string;
  verify: boolean;
}

/** Non-zero runs of 4 KiB blocks within a chunk: [start, end) offsets relative to the chunk. */
function dataRuns(buf: Buffer): [number, number][] {
  const runs: [number, number][] = [];
  let start = -1;
  for (let off = 0; off < buf.length; off += BLOCK_SIZE) {
    const end = Math.min(buf.length, off + BLOCK_SIZE);
    const zero = isAllZero(buf.subarray(off, end));
    if (!zero && start < 0) start = off;
    if (zero && start >= 0) {
      runs.push([start, off]);
      start = -1;
    }
  }
  if (start >= 0) runs.push([start, buf.length]);
  return runs;
}

function hashZeros(sha: crypto.Hash, length: number): void {
  for (let left = length; left > 0; left -= 1 << 20) sha.update(zeroBytes(Math.min(left, 1 << 20)));
}

async function toFile(file: string, size: number, extents: AsyncGenerator<Extent>, sha: crypto.Hash | undefined, meter: ThroughputMeter): Promise<void> {
  const fh = await open(file, 'w', 0o600).catch((err: NodeJS.ErrnoException) => {
    throw new PermafrostError(`cannot write ${file}: ${err.message}`, err.code === 'ENOSPC' ? ExitCode.noSpace : ExitCode.config);
  });
  try {
    for await (const e of extents) {
      if (!e.data) {
        if (sha) hashZeros(sha, e.length);
      } else {
        sha?.update(e.data);
        for (const [a, b] of dataRuns(e.data)) {
          let pos = a;
          while (pos < b) pos += (await fh.write(e.data, pos, b - pos, e.offset + pos)).bytesWritten;
        }
      }
      meter.add(e.length);
    }
    // Sets the size without writing: trailing zero runs become a hole.
    await fh.truncate(size);
  } finally {
    await fh.close();
  }
}

async function toStdout(extents: AsyncGenerator<Extent>, sha: crypto.Hash | undefined, meter: ThroughputMeter): Promise<void> {
  const out = process.stdout;
  const write = async (b: Buffer): Promise<void> => {
    if (!out.write(b)) await once(out, 'drain');
  };
  for await (const e of extents) {
    if (e.data) {
      sha?.update(e.data);
      await write(e.data);
    } else {
      for (let left = e.length; left > 0; left -= 1 << 20) {
        const z = Buffer.alloc(Math.min(left, 1 << 20));
        sha?.update(z);
        await write(z);
      }
    }
    meter.add(e.length);
  }
}

export function register(program: Command): void {
  addRepoOptions(
    program
      .command('restore-file <snapshot>')
      .description('restore one stream of a snapshot ("SNAPSHOT:NAME"; NAME may be left out when the snapshot has one stream; SNAPSHOT may be "latest" or an ID prefix)')
      .requiredOption('-o, --output <path>', 'file to write, or "-" for stdout')
      .option('--no-verify', 'skip the SHA-256 check against the manifest')
      .option('--json', 'JSON progress events on stderr and the result as JSON on stdout'),
  ).action(async (spec: string, opts: RestoreOpts) => {
    const colon = spec.indexOf(':');
    const snap = colon < 0 ? spec : spec.slice(0, colon);
    let name = colon < 0 ? undefined : spec.slice(colon + 1);
    await withRepo(opts, async (repo) => {
      const info = await repo.getSnapshot(snap);
      if (name === undefined) {
        if (info.streams.length !== 1) {
          throw new UsageError(`snapshot ${info.id.slice(0, 8)} has ${info.streams.length} streams (${info.streams.join(', ')}): say which one with SNAPSHOT:NAME`);
        }
        name = info.streams[0];
      }
      const { size, sha256, extents } = await repo.streamExtents(info.id, name);
      const toStdoutMode = opts.output === '-';
      const meter = new ThroughputMeter('restore', progressMode({ json: opts.json }), size);
      const sha = opts.verify && sha256 ? crypto.createHash('sha256') : undefined;
      if (toStdoutMode) await toStdout(extents, sha, meter);
      else await toFile(opts.output!, size, extents, sha, meter);
      const actual = sha?.digest('hex');
      meter.finish({ snapshot: info.id, stream: name });
      if (actual && actual !== sha256) {
        throw new PermafrostError(`restored data of "${name}" does not match the SHA-256 recorded at backup: the repository is damaged (run \`permafrost repo check --read-data\`)`, ExitCode.corrupted);
      }
      const result = { snapshot: info.id, stream: name, size, sha256, verified: Boolean(actual), output: opts.output, mibPerSec: Number(meter.mibPerSec.toFixed(1)), seconds: meter.elapsedSec };
      if (opts.json) printJson(result);
      else if (!toStdoutMode) {
        process.stdout.write(`restored ${name} from snapshot ${info.id.slice(0, 8)} to ${opts.output}: ${formatBytes(size)}${actual ? ', SHA-256 verified' : ''}, ${meter.mibPerSec.toFixed(0)} MiB/s\n`);
      }
    });
  });
}
