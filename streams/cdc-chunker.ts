// Content-defined chunking (FastCDC-style gear hash with normalised chunking) for objects and other
// byte streams: cut points depend on the content, so an insertion only changes the chunks around
// it. The gear table is derived from a per-repository secret, so cut points (and thus chunk sizes
// visible in the pack layout) do not reveal content to someone who does not hold the key.
import type { Readable } from 'node:stream';
import { copyBytes } from './copy-bytes.js';
import { deriveKey } from './keyed-hash.js';

export interface CdcParams {
  minSize: number;
  avgSize: number;
  maxSize: number;
}

export const DEFAULT_CDC_PARAMS: CdcParams = { minSize: 256 * 1024, avgSize: 1024 * 1024, maxSize: 4 * 1024 * 1024 };

/**
 * 256 pseudo-random 32-bit gear values from the repository's chunker secret. Kept as Int32Array:
 * signed values stay small integers in V8's tight loop (Uint32 values ≥ 2^31 would be doubles).
 */
export function gearTable(secret: Buffer): Int32Array {
  const bytes = deriveKey(secret, 'cdc-gear-table', 256 * 4);
  const table = new Int32Array(256);
  for (let i = 0; i < 256; i++) table[i] = bytes.readInt32LE(i * 4);
  return table;
}

/** A mask of `bits` ones in the high bits of a 32-bit word (those depend on the last 32 bytes). */
function highMask(bits: number): number {
  return bits >= 32 ? 0xffffffff : ((((1 << bits) - 1) << (32 - bits)) >>> 0) | 0;
}

export class CdcChunker {
  /**
   * Holds the bytes of the chunk being cut, from `start` to `filled`. Twice the largest chunk: the
   * input is read (or copied) in behind the data, and the unscanned rest (< maxSize) is moved to
   * the front only when the room behind it runs short, instead of after every chunk.
   */
  private readonly buf: Buffer;
  private start = 0;
  private filled = 0;
  /** Bytes of the current chunk (from `start`) already scanned, with the gear hash `hash`. */
  private scanned = 0;
  private hash = 0;
  private readonly maskSmall: number;
  private readonly maskLarge: number;

  constructor(private readonly gear: Int32Array, private readonly params: CdcParams = DEFAULT_CDC_PARAMS) {
    if (!(params.minSize > 0 && params.minSize <= params.avgSize && params.avgSize <= params.maxSize)) {
      throw new Error(`invalid CDC parameters ${JSON.stringify(params)}`);
    }
    const bits = Math.round(Math.log2(params.avgSize));
    // Normalised chunking (level 2): harder to cut before the average size, easier after it,
    // which narrows the size distribution around avgSize.
    this.maskSmall = highMask(bits + 2);
    this.maskLarge = highMask(Math.max(1, bits - 2));
    this.buf = Buffer.allocUnsafeSlow(2 * params.maxSize);
  }

  /**
   * Free space behind the buffered bytes, at least `min(want, maxSize)` long (the buffered rest is
   * moved to the front when needed): read input straight into it, then call cutViews(n). Valid
   * until the next call of any method.
   */
  room(want = this.params.maxSize): Buffer {
    const need = Math.min(want, this.params.maxSize);
    if (this.buf.length - this.filled < need) {
      this.buf.copyWithin(0, this.start, this.filled);
      this.filled -= this.start;
      this.start = 0;
    }
    return this.buf.subarray(this.filled);
  }

  /**
   * Takes the `n` bytes written at the start of room(); yields every chunk they complete, as views
   * of the chunker's buffer, each valid only until the generator is resumed (copy it first).
   */
  *cutViews(n: number): Generator<Buffer> {
    if (n < 0 || this.filled + n > this.buf.length) throw new RangeError(`cannot take ${n} bytes: more than room() offered`);
    this.filled += n;
    for (;;) {
      const cut = this.findCut();
      if (cut < 0) return;
      const view = this.buf.subarray(this.start, this.start + cut);
      this.drop(cut);
      yield view;
    }
  }

  /** Feeds bytes; yields every chunk completed by them (each a fresh Buffer, transferable). */
  *push(piece: Uint8Array): Generator<Buffer> {
    for (const view of this.pushViews(piece)) yield Buffer.from(view);
  }

  /**
   * Like push(), but yields views of the chunker's own buffer instead of copies: each view is valid
   * only until the generator is resumed (copy it before asking for the next one). No allocation.
   */
  *pushViews(piece: Uint8Array): Generator<Buffer> {
    for (let pos = 0; pos < piece.length; ) {
      const room = this.room(piece.length - pos);
      const n = Math.min(room.length, piece.length - pos);
      copyBytes(piece.subarray(pos, pos + n), room, 0);
      pos += n;
      yield* this.cutViews(n);
    }
  }

  /** Like end(), as a view (valid until the generator is resumed). */
  *endViews(): Generator<Buffer> {
    const len = this.filled - this.start;
    if (len > 0) {
      const view = this.buf.subarray(this.start, this.filled);
      this.drop(len);
      yield view;
    }
  }

  /** Yields the final partial chunk, if any. */
  *end(): Generator<Buffer> {
    for (const view of this.endViews()) yield Buffer.from(view);
  }

  /** The current chunk ends `len` bytes after `start`: the next one starts there (nothing moves). */
  private drop(len: number): void {
    this.start += len;
    if (this.start === this.filled) this.start = this.filled = 0;
    this.scanned = 0;
    this.hash = 0;
  }

  /** Returns the cut length if a boundary lies within the filled bytes, else -1 (state kept). */
  private findCut(): number {
    const { minSize, avgSize, maxSize } = this.params;
    const buf = this.buf;
    const gear = this.gear;
    const base = this.start;
    const filled = this.filled - base;
    let h = this.hash;
    let i = this.scanned < minSize ? minSize : this.scanned;
    if (filled <= i) {
      if (filled >= maxSize) return maxSize;
      return -1;
    }
    const maskS = this.maskSmall;
    const smallEnd = Math.min(avgSize, filled);
    while (i < smallEnd) {
      h = ((h << 1) + gear[buf[base + i]]) | 0;
      i++;
      if ((h & maskS) === 0) return i;
    }
    const maskL = this.maskLarge;
    const largeEnd = Math.min(maxSize, filled);
    while (i < largeEnd) {
      h = ((h << 1) + gear[buf[base + i]]) | 0;
      i++;
      if ((h & maskL) === 0) return i;
    }
    if (i >= maxSize) return maxSize;
    this.hash = h;
    this.scanned = i;
    return -1;
  }
}

/** Convenience generator: content-defined chunks of a whole stream. */
export async function* cdcChunks(input: AsyncIterable<Uint8Array> | Readable, gear: Int32Array, params: CdcParams = DEFAULT_CDC_PARAMS): AsyncGenerator<Buffer> {
  const chunker = new CdcChunker(gear, params);
  for await (const piece of input as AsyncIterable<Uint8Array>) yield* chunker.push(piece);
  yield* chunker.end();
}
