// Writes one data stream into the repository: chunk → (zero? skip) → keyed hash → (known? reuse)
// → (fixed chunk that changed little since the parent? sub-block delta) → compress+encrypt in the
// worker pool → pack. Only new chunks cost CPU beyond hashing.
//
// Memory: each chunk is read (or, for CDC, cut) straight into a region of the worker pool's shared
// ring — for fixed chunks of a file, by the worker that then hashes it (readFileInWorkers) — the
// workers hash it there and seal it over itself; the pack writer copies the sealed blob
// out and the region is reused. Nothing chunk-sized is allocated per chunk on any thread, so memory
// is the ring plus the pack writer's two buffers whatever the input size.
import type { Readable } from 'node:stream';
import { SEAL_SLACK } from '../../streams/byte-ring.js';
import { CdcChunker } from '../../streams/cdc-chunker.js';
import { InputReadError, sourceOf } from '../../streams/chunk-source.js';
import { HoleMap } from '../../streams/file-holes.js';
import { copyBytes } from '../../streams/copy-bytes.js';
import { BLOCK_HASH_BYTES, plainChunkId, truncateDigests } from '../../streams/keyed-hash.js';
import { BlockTreeDigest } from '../../streams/stream-digest.js';
import type { WorkerPool } from '../../streams/worker-pool.js';
import { isAllZero } from '../../streams/zero-detect.js';
import { BlobIntegrityError, openBlob } from '../../streams/blob-crypto.js';
import { DamagedBlobError, MissingBlobError } from './chunk-reader.js';
import { readPackRange } from './pack-read.js';
import type { Backend } from './types.js';
import type { BlobIndex, BlobType, IdScheme } from './blob-index.js';
import type { RepoConfig } from './config.js';
import { changedBlocks } from './delta.js';
import type { PackWriter } from './pack-writer.js';
import { decodeSegment, encodeSegment, SEGMENT_ENTRIES, type MapEntry } from './stream-map.js';
import type { ChunkerKind, SnapshotStats } from './types.js';

export interface WriteContext {
  config: RepoConfig;
  idKey: Buffer;
  mapKey: Buffer;
  gear: Int32Array;
  index: BlobIndex;
  pool: WorkerPool;
  packer: PackWriter;
  dekId: string;
  dek: Buffer;
  stats: SnapshotStats;
  /** Called with the number of source bytes consumed (progress). */
  onBytes?: (n: number) => void;
}

/** Sequential access to the parent stream's map entries (for deltas), one segment in memory. */
export interface ParentMap {
  entryAt(i: number): Promise<MapEntry | undefined>;
}

export interface WrittenStream {
  size: number;
  /** The stream digest as recorded (streams/stream-digest.ts): block tree for fixed chunks. */
  sha256: string;
  maps: string[];
  chunker: ChunkerKind;
}

/**
 * Opens one map segment of a parent stream on the calling thread (a segment is a few MiB at most,
 * quick to decrypt): a backup then starts no read worker pool just for its parent's maps.
 */
export async function openMapSegment(backend: Backend, index: BlobIndex, mapKey: Buffer, id: string): Promise<MapEntry[]> {
  const e = index.get(id);
  if (!e) throw new MissingBlobError(id, backend.location);
  const blob = await readPackRange(backend, e.pack, e.offset, e.length);
  if (blob.length !== e.length) throw new DamagedBlobError(e.id, e.pack, 'pack is shorter than its index says');
  try {
    return decodeSegment(openBlob(mapKey, Buffer.from(e.id, 'hex'), blob)).entries;
  } catch (err) {
    if (err instanceof BlobIntegrityError) throw new DamagedBlobError(e.id, e.pack, err.message);
    throw err;
  }
}

/** Sub-block deltas only when at most this fraction of the blocks changed. */
const DELTA_MAX_CHANGED_FRACTION = 0.5;
/**
 * Smallest shared ring: room for the chunks queued for hashing plus those being sealed (every MiB
 * here is resident memory). With chunks sealed with their read and holes skipped, 6 MiB keeps
 * both workers as busy as a larger ring does, for less memory.
 */
const RING_MIN_BYTES = 6 * 1024 * 1024;
/** `off` of a queued chunk that holds no ring region (a hole of a sparse file). */
const NO_REGION = -1;
/** Read size for the content-defined chunker. */
const CDC_READ_BYTES = 1 << 20;

/**
 * Whether the next chunks of a stream are likely new to the repository: a moving average of how
 * many recent data chunks were. While it stays high, sealing a chunk together with its read saves
 * a round trip to a worker per chunk; once chunks turn out to be stored already (a copy of a disk
 * backed up before without a parent), the guess would waste their compression, so it stops.
 */
class NewChunkGuess {
  private newShare = 1;

  get likelyNew(): boolean {
    return this.newShare >= 0.75;
  }

  record(isNew: boolean): void {
    this.newShare = 0.9 * this.newShare + (isNew ? 0.1 : 0);
  }
}

export async function writeStreamData(
  ctx: WriteContext,
  data: Readable | AsyncIterable<Uint8Array>,
  chunker: ChunkerKind,
  parent: ParentMap | undefined,
): Promise<WrittenStream> {
  const { config, index, pool, packer, stats } = ctx;
  const maps: string[] = [];
  let segment: MapEntry[] = [];
  let size = 0;
  let chunkIndex = 0;
  const maxChunk = chunker === 'fixed' ? config.fixedChunkSize : config.cdc.maxSize;
  const ring = pool.ring(Math.max(RING_MIN_BYTES, 4 * (maxChunk + SEAL_SLACK)));
  // Chunks hashed by the workers, processed strictly in stream order (map order, parent cursor).
  // `outcome`: the chunk's length and, unless it is all zeros, the worker's digest reply.
  // `expect`: the length asked of a worker's file read (a shorter one is the end of the file).
  // `hashed`: the whole-stream SHA-256 (hash worker) is done with the region, which may then be
  // freed or sealed over.
  // `sealed`: the worker has already sealed the chunk in its region (ring-read-seal), this long.
  type Outcome = { length: number; digest?: Buffer; sealed?: number };
  type Queued = { index: number; off: number; outcome: Promise<Outcome>; expect?: number; hashed?: Promise<void> };
  const queue: Queued[] = [];
  const window = pool.size * 3;
  const seals = new Set<Promise<void>>();
  let failure: unknown;
  /** Set once a worker's read came back short: the file ended, later reads are discarded. */
  let ended = false;
  const scheme: IdScheme = chunker === 'fixed' ? 'fixed' : 'plain';
  // Keys as standalone 32-byte arrays: a Buffer cut from Node's shared pool would be cloned into
  // every worker message together with its whole 8 KiB slab.
  // Rings and keys are named by number in ring tasks (sent to the workers once).
  const idKey = pool.keyRef(ctx.idKey);
  const dek = pool.keyRef(ctx.dek);
  const ringId = pool.currentRingId;
  // Whole-stream digest. Fixed chunks: the block tree (stream-digest.ts), folded in stream order
  // from the block digests the workers return with each chunk ID (zero runs cost nothing), so no
  // byte is hashed twice. CDC chunks: plain SHA-256 in a hash worker, behind the reads.
  const tree = scheme === 'fixed' ? new BlockTreeDigest() : undefined;
  const sha = tree ? undefined : pool.streamHash();
  /** Frees a region once the stream hash has read it. */
  const release = (off: number, hashed: Promise<void> | undefined): void | Promise<void> => {
    if (off === NO_REGION) return;
    if (!hashed) return ring.free(off);
    return hashed.then(
      () => ring.free(off),
      (err) => {
        failure ??= err; // the stream's SHA-256 would be wrong
        ring.free(off);
      },
    );
  };

  const track = (p: Promise<void>): void => {
    const tracked: Promise<void> = p
      .catch((err) => {
        failure ??= err;
      })
      .finally(() => seals.delete(tracked));
    seals.add(tracked);
  };

  const flushSegment = async (): Promise<void> => {
    if (segment.length === 0) return;
    const bytes = encodeSegment(chunker, segment);
    segment = [];
    const id = plainChunkId(ctx.idKey, bytes).toString('hex');
    maps.push(id);
    if (index.reserve(id)) {
      track(
        pool
          .run({ op: 'seal', key: ctx.mapKey, aad: Buffer.from(id, 'hex'), data: bytes, level: config.compressionLevel })
          .then((sealed) => packer.add({ id, type: 'map', scheme: 'plain', raw: bytes.length, key: 'map', data: sealed }))
          .catch((err) => {
            index.release(id);
            throw err;
          }),
      );
    }
  };

  /**
   * Once the chunk in ring region `off` is sealed in place (`sealed`: the blob's length), copies the
   * blob into the pack and frees the region.
   */
  const packRegion = (off: number, sealed: Promise<number>, id: string, length: number, type: BlobType, extra: { base?: string; depth?: number } = {}): void => {
    let freed = false;
    track(
      sealed
        .then(async (n) => {
          // add() has copied the blob once it resolves: the region is free again.
          await packer.add({ id, type, scheme, raw: length, key: ctx.dekId, ...extra, data: ring.view(off, n) });
          freed = true;
          ring.free(off);
        })
        .catch((err) => {
          if (!freed) ring.free(off);
          index.release(id);
          throw err;
        }),
    );
  };

  /** Seals the chunk in ring region `off` in place (a worker task), then packs it (packRegion). */
  const seal = (off: number, length: number, hashed: Promise<void>, id: string, idBuf: Buffer, type: BlobType, extra: { base?: string; depth?: number }, delta?: { base: Uint8Array; changed: number[]; blockSize: number }): void => {
    const sealed = hashed
      .then(() => pool.run({ op: 'ring-seal', ring: ringId, off, len: length, key: dek, aad: new Uint8Array(idBuf), level: config.compressionLevel, delta }))
      .then((reply) => reply.readUInt32LE(0));
    packRegion(off, sealed, id, length, type, extra);
  };

  /** Decides what happens to the oldest queued chunk: zero run, reuse, delta or full chunk. */
  const processHead = async (): Promise<void> => {
    const q = queue.shift()!;
    const off = q.off;
    let outcome: Outcome;
    try {
      outcome = await q.outcome;
    } catch (err) {
      await release(off, q.hashed);
      throw err;
    }
    const length = outcome.length;
    if (ended || length === 0) {
      // A read past the end of the file (the workers read ahead).
      ended = true;
      await release(off, q.hashed);
      return;
    }
    if (q.expect !== undefined && length < q.expect) ended = true;
    size += length;
    stats.bytesRead += length;
    ctx.onBytes?.(length);
    if (!outcome.digest) {
      tree?.updateZeros(length);
      segment.push({ length });
      await release(off, q.hashed);
    } else {
      let sealing = false;
      try {
        const reply = outcome.digest;
        const idBuf = Buffer.from(reply.subarray(0, 32));
        let hashes: Buffer | undefined;
        if (tree) {
          const full = reply.subarray(32);
          tree.updateDigests(full, length);
          hashes = truncateDigests(full);
        }
        segment.push({ length, id: idBuf, blockHashes: hashes });
        const id = idBuf.toString('hex');
        guess.record(!index.has(id));
        if (!index.reserve(id)) {
          stats.chunksReused++;
        } else {
          stats.chunksNew++;
          stats.bytesNew += length;
          let type: BlobType = 'data';
          const extra: { base?: string; depth?: number } = {};
          let delta: { base: Uint8Array; changed: number[]; blockSize: number } | undefined;
          try {
            // A chunk the worker sealed with its read (no parent) is never a delta.
            if (hashes && parent && outcome.sealed === undefined) {
              const pe = await parent.entryAt(q.index);
              const base = pe?.id && pe.length === length ? index.get(pe.id.toString('hex')) : undefined;
              if (pe?.id && base && base.type !== 'map') {
                const depth = base.type === 'delta' ? (base.depth ?? 1) : 0;
                const changed = depth < config.maxDeltaDepth ? changedBlocks(hashes, pe.blockHashes) : undefined;
                if (changed && changed.length > 0 && changed.length <= (hashes.length / BLOCK_HASH_BYTES) * DELTA_MAX_CHANGED_FRACTION) {
                  delta = { base: new Uint8Array(pe.id), changed, blockSize: config.blockSize };
                  type = 'delta';
                  extra.base = base.id;
                  extra.depth = depth + 1;
                }
              }
            }
            while (seals.size >= window) await Promise.race(seals);
            if (failure) throw failure;
          } catch (err) {
            index.release(id);
            throw err;
          }
          sealing = true;
          if (outcome.sealed !== undefined) packRegion(off, Promise.resolve(outcome.sealed), id, length, type);
          else seal(off, length, q.hashed ?? Promise.resolve(), id, idBuf, type, extra, delta);
        }
      } finally {
        if (!sealing) await release(off, q.hashed);
      }
    }
    if (segment.length >= SEGMENT_ENTRIES) await flushSegment();
  };

  /** A ring region of `len` bytes; while the ring is full, moves this stream's pipeline on. */
  const allocRegion = async (len: number): Promise<number> => {
    for (;;) {
      const off = ring.tryAlloc(len);
      if (off !== undefined) return off;
      if (failure) throw failure;
      if (queue.length > 0) await processHead();
      else if (seals.size > 0) await Promise.race([...seals, ring.freed()]);
      else await ring.freed(); // held by other streams of this pool
    }
  };

  /** Takes the chunk in region `off` into the pipeline (the region now belongs to the queue). */
  const consume = async (off: number, len: number): Promise<void> => {
    const hashed = sha?.update(off, len);
    hashed?.catch(() => undefined); // surfaced when processed
    // Zero runs are recorded by length only: no chunk hash, no storage, a hole on restore.
    const outcome: Promise<Outcome> = isAllZero(ring.view(off, len))
      ? Promise.resolve({ length: len })
      : pool.run({ op: 'ring-digest', ring: ringId, off, len, scheme, idKey }).then((digest) => ({ length: len, digest }));
    outcome.catch(() => undefined); // surfaced when processed
    queue.push({ index: chunkIndex++, off, outcome, hashed });
    while (queue.length >= window) await processHead();
  };

  /**
   * Fixed chunks of a file: each worker reads its chunk straight into its ring region (positioned
   * reads, in parallel, next to the hashing) and tests it for zeros; the main thread only hands
   * out regions and decides. The workers read ahead of the end of the file (its size is not
   * trusted: a block device's is 0 to stat): the first short read ends the stream and the reads
   * queued after it are discarded.
   */
  const readFileInWorkers = async (fd: number, chunkSize: number): Promise<void> => {
    let position = 0;
    const holes = HoleMap.of(fd);
    while (!ended) {
      if (failure) throw failure;
      // A chunk wholly in a hole of a sparse file is a zero run: no region, no read, no worker.
      const hole = holes?.holeChunk(position, chunkSize);
      if (hole !== undefined) {
        queue.push({ index: chunkIndex++, off: NO_REGION, outcome: Promise.resolve({ length: hole }), expect: chunkSize });
        position += chunkSize;
        while (queue.length >= window) await processHead();
        continue;
      }
      const off = await allocRegion(chunkSize + SEAL_SLACK);
      if (ended) {
        ring.free(off);
        break;
      }
      // Without a parent, chunks are sealed on the guess that they are new while that guess holds.
      const task = !parent && guess.likelyNew
        ? pool.run({ op: 'ring-read-seal', ring: ringId, off, len: chunkSize, fd, position, idKey, key: dek, level: config.compressionLevel }).then(
            (r): Outcome => (r.length > 4 ? { length: r.readUInt32LE(0), sealed: r.readUInt32LE(4), digest: r.subarray(8) } : { length: r.readUInt32LE(0) }),
          )
        : pool.run({ op: 'ring-read-digest', ring: ringId, off, len: chunkSize, fd, position, idKey }).then(
            (r): Outcome => ({ length: r.readUInt32LE(0), digest: r.length > 4 ? r.subarray(4) : undefined }),
          );
      const outcome = task.catch((err: unknown) => {
        // The worker's read failed (its errno code came along); hashing or sealing a region cannot.
        throw (err as NodeJS.ErrnoException).code ? new InputReadError(err) : err;
      });
      outcome.catch(() => undefined); // surfaced when processed
      position += chunkSize;
      queue.push({ index: chunkIndex++, off, outcome, expect: chunkSize });
      while (queue.length >= window) await processHead();
    }
  };

  const guess = new NewChunkGuess();
  const source = await sourceOf(data);
  try {
    if (chunker === 'fixed' && source.file) {
      await readFileInWorkers(source.file.fd, config.fixedChunkSize);
    } else if (chunker === 'fixed') {
      const chunkSize = config.fixedChunkSize;
      for (;;) {
        if (failure) throw failure;
        const off = await allocRegion(chunkSize + SEAL_SLACK);
        let n: number;
        try {
          n = await source.read(ring.view(off, chunkSize));
        } catch (err) {
          ring.free(off);
          throw err;
        }
        if (n === 0) {
          ring.free(off);
          break;
        }
        await consume(off, n);
        if (n < chunkSize) break;
      }
    } else {
      const cdc = new CdcChunker(ctx.gear, config.cdc);
      const take = async (views: Generator<Buffer>): Promise<void> => {
        for (const v of views) {
          if (failure) throw failure;
          const off = await allocRegion(v.length + SEAL_SLACK);
          copyBytes(v, ring.view(off, v.length), 0); // memcpy into shared memory (copy-bytes.ts)
          await consume(off, v.length);
        }
      };
      for (;;) {
        // Read straight into the chunker's buffer, behind the bytes not yet cut (no copy).
        const room = cdc.room(CDC_READ_BYTES).subarray(0, CDC_READ_BYTES);
        const n = await source.read(room);
        if (n === 0) break;
        await take(cdc.cutViews(n));
        if (n < room.length) break;
      }
      await take(cdc.endViews());
    }
    while (queue.length > 0) await processHead();
    await flushSegment();
    while (seals.size > 0) await Promise.race(seals);
  } catch (err) {
    // Free the regions of chunks still queued, once their workers are done with them.
    const left = queue.splice(0);
    await Promise.allSettled(left.flatMap((q) => [q.outcome, q.hashed]));
    for (const q of left) if (q.off !== NO_REGION) ring.free(q.off);
    await Promise.allSettled([...seals]);
    sha?.abort();
    throw err;
  } finally {
    await source.close().catch(() => undefined);
  }
  if (failure) throw failure;
  return { size, sha256: tree ? tree.digest() : await sha!.digest(), maps, chunker };
}
