// Writes one data stream into the repository: chunk → (zero? skip) → keyed hash → (known? reuse)
// → (fixed chunk that changed little since the parent? sub-block delta) → compress+encrypt in the
// worker pool → pack. Only new chunks cost CPU beyond hashing; memory is bounded by the number of
// chunks in flight and the pack writer's buffers.
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { cdcChunks } from '../../streams/cdc-chunker.js';
import { fixedChunks } from '../../streams/fixed-chunker.js';
import { BLOCK_HASH_BYTES, blockDigests, fixedChunkId, plainChunkId, truncateDigests } from '../../streams/keyed-hash.js';
import type { WorkerPool } from '../../streams/worker-pool.js';
import { isAllZero } from '../../streams/zero-detect.js';
import type { BlobIndex, BlobType, IdScheme } from './blob-index.js';
import type { RepoConfig } from './config.js';
import { changedBlocks, encodeDelta } from './delta.js';
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
  const inflight = new Set<Promise<void>>();
  const maxInflight = pool.size * 3;
  let failure: unknown;

  const store = (id: string, type: BlobType, scheme: IdScheme, payload: Buffer, raw: number, extra: { base?: string; depth?: number }, key: Buffer, keyId: string): void => {
    const task = pool
      .run({ op: 'seal', key, aad: Buffer.from(id, 'hex'), data: payload, level: config.compressionLevel }, true)
      .then((sealed) => packer.add({ id, type, scheme, raw, key: keyId, ...extra, data: sealed }))
      .catch((err) => {
        index.release(id);
        failure ??= err;
      });
    const tracked: Promise<void> = task.finally(() => inflight.delete(tracked));
    inflight.add(tracked);
  };

  const flushSegment = async (): Promise<void> => {
    if (segment.length === 0) return;
    const bytes = encodeSegment(chunker, segment);
    segment = [];
    const id = plainChunkId(ctx.idKey, bytes).toString('hex');
    maps.push(id);
    if (index.reserve(id)) {
      store(id, 'map', 'plain', bytes, bytes.length, {}, ctx.mapKey, 'map');
    }
  };

  const chunks = chunker === 'fixed' ? fixedChunks(data, config.fixedChunkSize) : cdcChunks(data, ctx.gear, config.cdc);
  for await (const chunk of chunks) {
    if (failure) throw failure;
    const i = chunkIndex++;
    const len = chunk.length;
    sha.update(chunk);
    size += len;
    stats.bytesRead += len;
    ctx.onBytes?.(len);

    if (isAllZero(chunk)) {
      // Zero runs are recorded by length only: no hash, no storage, a hole on restore.
      segment.push({ length: len });
    } else {
      let idBuf: Buffer;
      let hashes: Buffer | undefined;
      let scheme: IdScheme;
      if (chunker === 'fixed') {
        const { digests } = blockDigests(chunk);
        idBuf = fixedChunkId(ctx.idKey, len, digests);
        hashes = truncateDigests(digests);
        scheme = 'fixed';
      } else {
        idBuf = plainChunkId(ctx.idKey, chunk);
        scheme = 'plain';
      }
      segment.push({ length: len, id: idBuf, blockHashes: hashes });
      const id = idBuf.toString('hex');
      if (!index.reserve(id)) {
        stats.chunksReused++;
      } else {
        stats.chunksNew++;
        stats.bytesNew += len;
        let payload: Buffer = chunk;
        let type: BlobType = 'data';
        const extra: { base?: string; depth?: number } = {};
        if (hashes && parent) {
          const pe = await parent.entryAt(i);
          const base = pe?.id && pe.length === len ? index.get(pe.id.toString('hex')) : undefined;
          if (pe?.id && base && base.type !== 'map') {
            const depth = base.type === 'delta' ? (base.depth ?? 1) : 0;
            const changed = depth < config.maxDeltaDepth ? changedBlocks(hashes, pe.blockHashes) : undefined;
            if (changed && changed.length > 0 && changed.length <= (hashes.length / BLOCK_HASH_BYTES) * DELTA_MAX_CHANGED_FRACTION) {
              payload = encodeDelta(pe.id, chunk, changed, config.blockSize);
              type = 'delta';
              extra.base = base.id;
              extra.depth = depth + 1;
            }
          }
        }
        while (inflight.size >= maxInflight) await Promise.race(inflight);
        if (failure) throw failure;
        store(id, type, scheme, payload, len, extra, ctx.dek, ctx.dekId);
      }
    }
    if (segment.length >= SEGMENT_ENTRIES) await flushSegment();
  }
  await flushSegment();
  while (inflight.size > 0) await Promise.race(inflight);
  if (failure) throw failure;
  return { size, sha256: sha.digest('hex'), maps, chunker };
}
