// Writes one data stream into the repository: chunk → (zero? skip) → keyed hash → (known? reuse)
// → (fixed chunk that changed little since the parent? sub-block delta) → compress+encrypt in the
// worker pool → pack. Only new chunks cost CPU beyond hashing; memory is bounded by the number of
// chunks in flight and the pack writer's buffers.
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { cdcChunks } from '../../streams/cdc-chunker.js';
import { fixedChunks } from '../../streams/fixed-chunker.js';
import { BLOCK_HASH_BYTES, plainChunkId } from '../../streams/keyed-hash.js';
import type { WorkerPool } from '../../streams/worker-pool.js';
import { isAllZero } from '../../streams/zero-detect.js';
import type { BlobIndex, BlobType, IdScheme } from './blob-index.js';
import type { RepoConfig } from './config.js';
import { changedBlocks } from './delta.js';
import type { PackWriter } from './pack-writer.js';
import { encodeSegment, SEGMENT_ENTRIES, type MapEntry } from './stream-map.js';
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
  sha256: string;
  maps: string[];
  chunker: ChunkerKind;
}

/** Sub-block deltas only when at most this fraction of the blocks changed. */
const DELTA_MAX_CHANGED_FRACTION = 0.5;

let holdCounter = 0;

export async function writeStreamData(
  ctx: WriteContext,
  data: Readable | AsyncIterable<Uint8Array>,
  chunker: ChunkerKind,
  parent: ParentMap | undefined,
): Promise<WrittenStream> {
  const { config, index, pool, packer, stats } = ctx;
  const sha = crypto.createHash('sha256');
  const maps: string[] = [];
  let segment: MapEntry[] = [];
  let size = 0;
  let chunkIndex = 0;
  // Chunks hashed by the workers, processed strictly in stream order (map order, parent cursor).
  type Queued = { index: number; length: number; digest?: { worker: number; hold: number; result: Promise<Buffer> } };
  const queue: Queued[] = [];
  const window = pool.size * 3;
  const seals = new Set<Promise<void>>();
  let failure: unknown;
  const scheme: IdScheme = chunker === 'fixed' ? 'fixed' : 'plain';

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

  /** Decides what happens to the oldest queued chunk: zero run, reuse, delta or full chunk. */
  const processHead = async (): Promise<void> => {
    const q = queue.shift()!;
    if (!q.digest) {
      segment.push({ length: q.length });
    } else {
      const reply = await q.digest.result;
      const idBuf = Buffer.from(reply.subarray(0, 32));
      const hashes = scheme === 'fixed' ? Buffer.from(reply.subarray(32)) : undefined;
      segment.push({ length: q.length, id: idBuf, blockHashes: hashes });
      const id = idBuf.toString('hex');
      const { worker, hold } = q.digest;
      if (!index.reserve(id)) {
        stats.chunksReused++;
        pool.post(worker, { op: 'drop', hold });
      } else {
        stats.chunksNew++;
        stats.bytesNew += q.length;
        let type: BlobType = 'data';
        const extra: { base?: string; depth?: number } = {};
        let delta: { base: Uint8Array; changed: number[]; blockSize: number } | undefined;
        if (hashes && parent) {
          const pe = await parent.entryAt(q.index);
          const base = pe?.id && pe.length === q.length ? index.get(pe.id.toString('hex')) : undefined;
          if (pe?.id && base && base.type !== 'map') {
            const depth = base.type === 'delta' ? (base.depth ?? 1) : 0;
            const changed = depth < config.maxDeltaDepth ? changedBlocks(hashes, pe.blockHashes) : undefined;
            if (changed && changed.length > 0 && changed.length <= (hashes.length / BLOCK_HASH_BYTES) * DELTA_MAX_CHANGED_FRACTION) {
              delta = { base: pe.id, changed, blockSize: config.blockSize };
              type = 'delta';
              extra.base = base.id;
              extra.depth = depth + 1;
            }
          }
        }
        while (seals.size >= window) await Promise.race(seals);
        if (failure) throw failure;
        const raw = q.length;
        track(
          pool
            .runOn(worker, { op: 'seal-held', hold, key: ctx.dek, aad: idBuf, level: config.compressionLevel, delta })
            .then((sealed) => packer.add({ id, type, scheme, raw, key: ctx.dekId, ...extra, data: sealed }))
            .catch((err) => {
              index.release(id);
              throw err;
            }),
        );
      }
    }
    if (segment.length >= SEGMENT_ENTRIES) await flushSegment();
  };

  try {
    const chunks = chunker === 'fixed' ? fixedChunks(data, config.fixedChunkSize) : cdcChunks(data, ctx.gear, config.cdc);
    for await (const chunk of chunks) {
      if (failure) throw failure;
      const len = chunk.length;
      sha.update(chunk);
      size += len;
      stats.bytesRead += len;
      ctx.onBytes?.(len);
      const item: Queued = { index: chunkIndex++, length: len };
      // Zero runs are recorded by length only: no hash, no storage, a hole on restore.
      if (!isAllZero(chunk)) {
        const hold = ++holdCounter;
        const { worker, result } = await pool.runPinned({ op: 'digest', hold, scheme, idKey: ctx.idKey, data: chunk }, true);
        result.catch(() => undefined); // surfaced when processed
        item.digest = { worker, hold, result };
      }
      queue.push(item);
      while (queue.length >= window) await processHead();
    }
    while (queue.length > 0) await processHead();
    await flushSegment();
    while (seals.size > 0) await Promise.race(seals);
  } catch (err) {
    // Free chunks still held by workers for this stream.
    for (const q of queue) if (q.digest) pool.post(q.digest.worker, { op: 'drop', hold: q.digest.hold });
    await Promise.allSettled([...seals]);
    throw err;
  }
  if (failure) throw failure;
  return { size, sha256: sha.digest('hex'), maps, chunker };
}
