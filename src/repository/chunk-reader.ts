// Reads chunks back: fetch the blob's byte range from its pack, decrypt+decompress in the read
// worker pool, and for a delta rebuild it from its base (recursively, depth ≤ maxDeltaDepth). A
// small cache keeps recently rebuilt bases, since consecutive deltas of a chain share them.
// Whole streams are read by stream-reader.ts (planned, grouped by pack, out of order).
import { ExitCode, PermafrostError } from '../errors.js';
import type { BlobIndex, Located } from './blob-index.js';
import { applyDelta } from './delta.js';
import { readPackRange } from './pack-read.js';
import { OpenError, OpenPool } from './open-pool.js';
import { OutputArena } from './output-arena.js';
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
/**
 * Shared memory for chunk contents being restored (PERMAFROST_RESTORE_ARENA_MIB overrides). 8 MiB
 * (two 64 MiB windows of 1 MiB chunks pass through it; contents above 2 MiB get their own buffers):
 * against 12 MiB, 7-8 MiB less peak RSS on the 1 GiB day-2 restore at the same speed.
 */
const ARENA_BYTES = (Number(process.env.PERMAFROST_RESTORE_ARENA_MIB) || 8) * 1024 * 1024;
/**
 * Shared memory that pack ranges are read into on the restore path (local repositories): the read
 * workers decrypt straight from it, so no buffer is allocated, transferred and left for a
 * collector per range. Per-range buffers (up to 4 MiB each, freed in another thread) kept 25-30
 * MiB of the main thread's malloc heap resident. Two ranges of up to 4 MiB fit: since the read
 * workers write most restored chunks themselves (stream-reader.ts), 12 MiB (three ranges) was no
 * faster and cost ~4 MiB more peak RSS on the 2 GiB day-2 restore (median of 4: 146.5 against
 * 157.5 MiB; a range that does not fit waits for room).
 */
const INPUT_ARENA_BYTES = 8 * 1024 * 1024;
/** Longest delta chain accepted when reading (the writer stops at 4); deeper means damage. */
export const MAX_CHAIN = 16;

/** Read workers started ahead of time (prestartReadPool), for the next reader that needs them. */
let prestarted: OpenPool | undefined;

/**
 * Starts the read workers now, so that their start-up (a V8 isolate each) overlaps with other
 * work, e.g. deriving the repository key from the passphrase; the next ChunkReader takes them.
 * Idle workers do not keep the process alive.
 */
export function prestartReadPool(): void {
  prestarted ??= new OpenPool(new OutputArena(ARENA_BYTES));
}

export class ChunkReader {
  private readonly baseCache = new Map<string, Buffer>();
  private readonly keyBytes = new Map<string, Promise<Uint8Array>>();
  private poolInstance: OpenPool | undefined;
  private inputInstance: OutputArena | undefined;

  constructor(
    readonly backend: Backend,
    readonly index: BlobIndex,
    /** Key of a blob: the map key, or the DEK it names (throws for a write-only host). */
    private readonly keyFor: (entry: Located) => Promise<Buffer>,
  ) {}

  /** The read worker pool and its output arena (started on first use). */
  pool(): OpenPool {
    if (!this.poolInstance) {
      this.poolInstance = prestarted ?? new OpenPool(new OutputArena(ARENA_BYTES));
      prestarted = undefined;
    }
    return this.poolInstance;
  }

  get arena(): OutputArena {
    return this.pool().arena!;
  }

  /** Where pack ranges are read into when the backend can read into memory it is given (getRangeInto). */
  get inputArena(): OutputArena | undefined {
    if (!this.backend.getRangeInto) return undefined;
    this.inputInstance ??= new OutputArena(INPUT_ARENA_BYTES);
    return this.inputInstance;
  }

  locate(id: string): Located {
    const e = this.index.get(id);
    if (!e) throw new MissingBlobError(id, this.backend.location);
    return e;
  }

  /**
   * The blobs to open for a chunk, base first: [full chunk, delta, delta…]. Index only, no I/O.
   */
  chain(id: string): Located[] {
    const out: Located[] = [];
    let e = this.locate(id);
    out.push(e);
    while (e.type === 'delta') {
      if (!e.base || out.length > MAX_CHAIN) throw new DamagedBlobError(e.id, e.pack, 'delta chain is broken or too deep');
      e = this.locate(e.base);
      out.push(e);
    }
    return out.reverse();
  }

  /** The key of a blob as a standalone byte array (safe to post to a worker; cached). */
  key(entry: Located): Promise<Uint8Array> {
    let k = this.keyBytes.get(entry.key);
    if (!k) {
      k = this.keyFor(entry).then((b) => new Uint8Array(b));
      k.catch(() => this.keyBytes.delete(entry.key));
      this.keyBytes.set(entry.key, k);
    }
    return k;
  }

  /** Decrypted (and decompressed) payload of a blob, as stored: a delta stays a delta. */
  async payload(entry: Located): Promise<Buffer> {
    const key = await this.key(entry);
    const blob = await readPackRange(this.backend, entry.pack, entry.offset, entry.length);
    if (blob.length !== entry.length) throw new DamagedBlobError(entry.id, entry.pack, 'pack is shorter than its index says');
    try {
      return (await this.pool().open(blob, [{ off: 0, len: entry.length, key, aad: aadOf(entry.id) }]))[0];
    } catch (err) {
      if (err instanceof OpenError && err.integrity) throw new DamagedBlobError(entry.id, entry.pack, err.message);
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

  async close(): Promise<void> {
    await this.poolInstance?.close();
    this.poolInstance = undefined;
  }
}

/** Associated data of a blob: its ID as bytes (own buffer, safe to post to a worker). */
export function aadOf(id: string): Uint8Array {
  return new Uint8Array(Buffer.from(id, 'hex'));
}

export interface Extent {
  offset: number;
  length: number;
  /** undefined for a zero run (write a hole). */
  data?: Buffer;
}

export { streamExtents, type StreamReadOptions } from './stream-reader.js';
