// Reads chunks back: fetch the blob's byte range from its pack, decrypt+decompress in the worker
// pool, and for a delta rebuild it from its base (recursively, depth ≤ maxDeltaDepth). A small
// cache keeps recently rebuilt bases, since consecutive deltas of a chain share them.
import { BlobIntegrityError } from '../../streams/blob-crypto.js';
import type { WorkerPool } from '../../streams/worker-pool.js';
import { ExitCode, PermafrostError } from '../errors.js';
import type { BlobIndex, Located } from './blob-index.js';
import { applyDelta } from './delta.js';
import { packKey } from './format.js';
import { decodeSegment, type MapEntry } from './stream-map.js';
import type { Backend, ChunkerKind } from './types.js';

export class MissingBlobError extends PermafrostError {
  constructor(readonly id: string, location: string) {
    super(`chunk ${id.slice(0, 16)}… is missing from ${location} (the index does not list it): run \`permafrost repo check\``, ExitCode.corrupted);
  }
}

export class DamagedBlobError extends PermafrostError {
  constructor(readonly id: string, readonly pack: string, detail: string) {
    super(`chunk ${id.slice(0, 16)}… in pack ${pack.slice(0, 16)}… is damaged (${detail}): run \`permafrost repo check --read-data\``, ExitCode.corrupted);
  }
}

const BASE_CACHE_SIZE = 8;

export class ChunkReader {
  private readonly baseCache = new Map<string, Buffer>();

  constructor(
    private readonly backend: Backend,
    private readonly index: BlobIndex,
    private readonly pool: WorkerPool,
    /** Key of a blob: the map key, or the DEK it names (throws for a write-only host). */
    private readonly keyFor: (entry: Located) => Promise<Buffer>,
  ) {}

  locate(id: string): Located {
    const e = this.index.get(id);
    if (!e) throw new MissingBlobError(id, this.backend.location);
    return e;
  }

  /** Decrypted (and decompressed) payload of a blob, as stored: a delta stays a delta. */
  async payload(entry: Located): Promise<Buffer> {
    const blob = await this.backend.getRange(packKey(entry.pack), entry.offset, entry.length);
    if (blob.length !== entry.length) throw new DamagedBlobError(entry.id, entry.pack, 'pack is shorter than its index says');
    const key = await this.keyFor(entry);
    try {
      return await this.pool.run({ op: 'open', key, aad: Buffer.from(entry.id, 'hex'), data: blob }, true);
    } catch (err) {
      if (err instanceof BlobIntegrityError) throw new DamagedBlobError(entry.id, entry.pack, err.message);
      throw err;
    }
  }

  /** Full content of a chunk. */
  async chunk(id: string): Promise<Buffer> {
    const entry = this.locate(id);
    const payload = await this.payload(entry);
    if (entry.type !== 'delta') return payload;
    const base = this.baseCache.get(entry.base!) ?? (await this.chunk(entry.base!));
    const out = applyDelta(base, payload);
    this.remember(entry.base!, base);
    return out;
  }

  private remember(id: string, content: Buffer): void {
    this.baseCache.delete(id);
    this.baseCache.set(id, content);
    if (this.baseCache.size > BASE_CACHE_SIZE) this.baseCache.delete(this.baseCache.keys().next().value!);
  }

  async mapSegment(id: string): Promise<{ chunker: ChunkerKind; entries: MapEntry[] }> {
    return decodeSegment(await this.payload(this.locate(id)));
  }
}

export interface Extent {
  offset: number;
  length: number;
  /** undefined for a zero run (write a hole). */
  data?: Buffer;
}

/**
 * The extents of a stream in order, fetching up to `window` chunks ahead so that network latency
 * and decryption overlap with the consumer's writes. Memory: `window` chunks.
 */
export async function* streamExtents(reader: ChunkReader, maps: string[], window = 8): AsyncGenerator<Extent> {
  let offset = 0;
  const queue: { offset: number; length: number; data?: Promise<Buffer> }[] = [];
  const segments = maps[Symbol.iterator]();
  let entries: MapEntry[] = [];
  let pos = 0;
  const refill = async (): Promise<boolean> => {
    while (pos >= entries.length) {
      const next = segments.next();
      if (next.done) return false;
      entries = (await reader.mapSegment(next.value)).entries;
      pos = 0;
    }
    return true;
  };
  for (;;) {
    while (queue.length < window && (await refill())) {
      const e = entries[pos++];
      const data = e.id ? reader.chunk(e.id.toString('hex')) : undefined;
      data?.catch(() => undefined); // surfaced when awaited below
      queue.push({ offset, length: e.length, data });
      offset += e.length;
    }
    const head = queue.shift();
    if (!head) return;
    if (!head.data) {
      // Merge consecutive zero runs into one extent (one seek instead of many).
      let length = head.length;
      while (queue.length > 0 && !queue[0].data) length += queue.shift()!.length;
      yield { offset: head.offset, length };
    } else {
      const data = await head.data;
      if (data.length !== head.length) throw new DamagedBlobError('(stream)', '-', `chunk has ${data.length} bytes, the map says ${head.length}`);
      yield { offset: head.offset, length: head.length, data };
    }
  }
}
