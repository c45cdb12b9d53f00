// `permafrost restore-file SNAPSHOT[:NAME] -o PATH|-`: writes one stream back. Into a file, zero
// runs (and all-zero 4 KiB blocks) become holes: nothing is written there, the file is extended
// with ftruncate, so a sparse image stays sparse; chunks are written at their offsets as soon as
// they are complete. To stdout the stream is written in order. The stream digest recorded in the
// manifest is verified (streams/stream-digest.ts): for a block-tree digest (fixed-chunker streams)
// each chunk is checked against its chunk ID as it is rebuilt and the tree is folded from the same
// block digests (stream-reader.ts), so the file is never read back; a plain SHA-256 (CDC streams, older
// snapshots) is computed by a worker reading the file back behind the writes.
import type { Command } from 'commander';
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
import { ThroughputMeter, progressMode } from '../../../streams/throughput-meter.js';
import { CTL_FINAL, CTL_PREFIX, CTL_SEQ, CTL_SLOTS, type RestoreHashReply, type RestoreHashTask } from '../../../streams/restore-hash-worker.js';
import { BlockTreeDigest, createStreamDigest, digestAlgOf, type StreamDigest } from '../../../streams/stream-digest.js';
import { dataRuns } from '../../../streams/data-runs.js';
import { ExitCode, PermafrostError, UsageError } from '../../errors.js';
import { prestartReadPool, type ChunkReader, type Extent } from '../../repository/chunk-reader.js';
import { OpenError, spawnStreamWorker } from '../../repository/open-pool.js';
import { restoreStream, streamExtents } from '../../repository/stream-reader.js';
import { addRepoOptions, formatBytes, printJson, withRepo, type RepoCliOptions } from '../repo-access.js';
import { writeOutputFile } from '../output-file.js';
import { stopWorker } from '../../../streams/worker-stop.js';

interface RestoreOpts extends RepoCliOptions {
  output?: string;
  verify: boolean;
}

/**
 * Hashes a file from its start up to a growing limit in a worker thread
 * (streams/restore-hash-worker.ts), reading it back behind the writes (from the page cache):
 * chunks written out of order never wait in memory for their turn to be hashed, and the main
 * thread only publishes the limit. The worker is started early (its start-up overlaps with the
 * key derivation) and given the file later.
 */
class TrailingHash {
  private readonly ctl = new BigInt64Array(new SharedArrayBuffer(CTL_SLOTS * 8));
  private readonly worker: Worker;
  private readonly result: Promise<RestoreHashReply>;

  constructor() {
    Atomics.store(this.ctl, CTL_FINAL, -1n);
    this.worker = spawnStreamWorker('restore-hash-worker');
    this.worker.unref();
    this.result = new Promise<RestoreHashReply>((resolve, reject) => {
      this.worker.once('message', resolve);
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`the hash worker stopped (exit code ${code})`)));
    });
    this.result.catch(() => undefined);
  }

  /** Starts hashing `file` (call once, after it was created). */
  start(file: string): void {
    const task: RestoreHashTask = { restoreHash: true, path: file, control: this.ctl.buffer as SharedArrayBuffer };
    this.worker.ref();
    this.worker.postMessage(task);
  }

  private publish(slot: number, value: number): void {
    Atomics.store(this.ctl, slot, BigInt(value));
    Atomics.add(this.ctl, CTL_SEQ, 1n);
    Atomics.notify(this.ctl, CTL_SEQ);
  }

  /** The file is final from 0 up to `end`. */
  advance(end: number): void {
    this.publish(CTL_PREFIX, end);
  }

  /** The file is complete: its SHA-256 (hex). */
  async finish(size: number): Promise<string> {
    Atomics.store(this.ctl, CTL_PREFIX, BigInt(size));
    this.publish(CTL_FINAL, size);
    const r = await this.result;
    if (!r.ok) throw new Error(`cannot hash the restored file: ${r.message}`);
    return r.digest;
  }

  /** Stops the worker (after finish, or when the restore failed or did not need it). */
  async close(): Promise<void> {
    this.publish(CTL_FINAL, -2);
    await stopWorker(this.worker);
  }
}

/** How a file restore verifies: the block tree in the read workers, or a read-back SHA-256. */
type FileVerify = { tree: BlockTreeDigest; idKey: Uint8Array } | { hasher: TrailingHash } | undefined;

/**
 * Into a file: the file gets its final size first (ftruncate: zero runs stay holes), then every
 * chunk is written at its offset as soon as it is complete (out of order; only its non-zero 4 KiB
 * runs). Returns the stream digest when verifying: the block tree folded by restoreStream, or the
 * SHA-256 a worker thread computes by reading the file back behind the writes.
 */
async function toFile(file: string, size: number, reader: ChunkReader, maps: string[], verify: FileVerify, meter: ThroughputMeter, shownAs = file): Promise<string | undefined> {
  const hasher = verify && 'hasher' in verify ? verify.hasher : undefined;
  const tree = verify && 'tree' in verify ? verify : undefined;
  const failWrite = (err: NodeJS.ErrnoException): never => {
    throw new PermafrostError(`cannot write ${shownAs}: ${err.message}`, err.code === 'ENOSPC' || err.code === 'EDQUOT' ? ExitCode.noSpace : ExitCode.config);
  };
  const fh = await open(file, 'w+', 0o600).catch(failWrite);
  try {
    // Sets the size without writing: every zero run (incl. a trailing one) stays a hole.
    await fh.truncate(size).catch(failWrite);
    hasher?.start(file);
    let reported = 0;
    await restoreStream(reader, maps, {
      // Most chunks are written by the read workers themselves (stream-reader.ts); the others here.
      writeFile: file,
      onChunk: async (offset, data) => {
        for (const [a, b] of dataRuns(data)) {
          let pos = a;
          while (pos < b) pos += (await fh.write(data, pos, b - pos, offset + pos).catch(failWrite)).bytesWritten;
        }
      },
      onPrefix: (end) => {
        meter.add(end - reported);
        reported = end;
        hasher?.advance(end);
      },
      ...(tree ? { verify: tree } : {}),
    }).catch((err: unknown) => {
      // A read worker could not write a chunk: the same message and exit code as a write here.
      if (err instanceof OpenError && err.code) failWrite(err as OpenError & NodeJS.ErrnoException);
      throw err;
    });
    if (tree) return tree.tree.digest();
    return await hasher?.finish(size);
  } finally {
    await fh.close();
  }
}

async function toStdout(extents: AsyncGenerator<Extent>, sha: StreamDigest | undefined, meter: ThroughputMeter): Promise<void> {
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
      .option('--no-verify', 'skip the check against the stream digest recorded in the manifest (block tree: chunk ID checks as chunks are rebuilt; SHA-256: a read-back of the file)')
      .option('--json', 'JSON progress events on stderr and the result as JSON on stdout'),
  ).action(async (spec: string, opts: RestoreOpts) => {
    const colon = spec.indexOf(':');
    const snap = colon < 0 ? spec : spec.slice(0, colon);
    const name = colon < 0 ? undefined : spec.slice(colon + 1);
    const toStdoutMode = opts.output === '-';
    // Start the worker threads now: their start-up overlaps with opening the repository, whose
    // key derivation is deliberately slow.
    prestartReadPool();
    await restore(name, snap, opts, toStdoutMode);
  });
}

async function restore(name: string | undefined, snap: string, opts: RestoreOpts, toStdoutMode: boolean): Promise<void> {
  await withRepo(opts, async (repo) => {
    const info = await repo.getSnapshot(snap);
    if (name === undefined) {
      if (info.streams.length !== 1) {
        throw new UsageError(`snapshot ${info.id.slice(0, 8)} has ${info.streams.length} streams (${info.streams.join(', ')}): say which one with SNAPSHOT:NAME`);
      }
      name = info.streams[0];
    }
    const { size, sha256, reader, maps } = await repo.streamSource(info.id, name);
    const meter = new ThroughputMeter('restore', progressMode({ json: opts.json }), size);
    const verify = Boolean(opts.verify && sha256);
    const alg = digestAlgOf(sha256);
    let actual: string | undefined;
    const mismatch = (digest: string | undefined): void => {
      if (digest && digest !== sha256) {
        throw new PermafrostError(`restored data of "${name}" does not match the ${alg} digest recorded at backup: the repository is damaged (run \`permafrost repo check --read-data\`)`, ExitCode.corrupted);
      }
    };
    if (toStdoutMode) {
      const sha = verify ? createStreamDigest(alg) : undefined;
      await toStdout(streamExtents(reader, maps), sha, meter);
      actual = sha?.digest();
    } else {
      // Written beside the target and renamed only once complete and verified (output-file.ts).
      actual = await writeOutputFile(opts.output!, async (temp) => {
        let digest: string | undefined;
        if (verify && alg === 'sha256-b4k') {
          digest = await toFile(temp, size, reader, maps, { tree: new BlockTreeDigest(), idKey: repo.secrets.idKey }, meter, opts.output);
        } else {
          const hasher = verify ? new TrailingHash() : undefined;
          try {
            digest = await toFile(temp, size, reader, maps, hasher ? { hasher } : undefined, meter, opts.output);
          } finally {
            await hasher?.close();
          }
        }
        mismatch(digest);
        return digest;
      });
    }
    meter.finish({ snapshot: info.id, stream: name });
    mismatch(actual);
    const result = { snapshot: info.id, stream: name, size, sha256, verified: Boolean(actual), output: opts.output, mibPerSec: Number(meter.mibPerSec.toFixed(1)), seconds: meter.elapsedSec };
    if (opts.json) printJson(result);
    else if (!toStdoutMode) {
      process.stdout.write(`restored ${name} from snapshot ${info.id.slice(0, 8)} to ${opts.output}: ${formatBytes(size)}${actual ? `, ${alg === 'sha256' ? 'SHA-256' : 'chunk IDs and block tree digest'} verified` : ''}, ${meter.mibPerSec.toFixed(0)} MiB/s\n`);
    }
  });
}
