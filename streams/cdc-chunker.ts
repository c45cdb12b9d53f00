// Content-defined chunking (FastCDC-style gear hash with normalised chunking) for objects and other
// byte streams: cut points depend on the content, so an insertion only changes the chunks around
// it. The gear table is derived from a per-repository secret, so cut points (and thus chunk sizes
// visible in the pack layout) do not reveal content to someone who does not hold the key.
import type { Readable } from 'node:stream';
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
  private readonly buf: Buffer;
  private filled = 0;
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
    this.buf = Buffer.allocUnsafeSlow(params.maxSize);
  }

  /** Feeds bytes; yields every chunk completed by them (each a fresh Buffer, transferable). */
  *push(piece: Uint8Array): Generator<Buffer> {
    let pos = 0;
    while (pos < piece.length) {
      const n = Math.min(this.buf.length - this.filled, piece.length - pos);
      this.buf.set(piece.subarray(pos, pos + n), this.filled);
      this.filled += n;
      pos += n;
      for (;;) {
        const cut = this.findCut();
        if (cut < 0) break;
        yield this.take(cut);
      }
    }
  }

  /**
   * Like push(), but yields views of the chunker's own buffer instead of copies: each view is valid
   * only until the generator is resumed (copy it before asking for the next one). No allocation.
   */
  *pushViews(piece: Uint8Array): Generator<Buffer> {
    let pos = 0;
    while (pos < piece.length) {
      const n = Math.min(this.buf.length - this.filled, piece.length - pos);
      this.buf.set(piece.subarray(pos, pos + n), this.filled);
      this.filled += n;
      pos += n;
      for (;;) {
        const cut = this.findCut();
        if (cut < 0) break;
        yield this.buf.subarray(0, cut);
        this.drop(cut);
      }
    }
  }

  /** Like end(), as a view (valid until the generator is resumed). */
  *endViews(): Generator<Buffer> {
    if (this.filled > 0) {
      const len = this.filled;
      yield this.buf.subarray(0, len);
      this.drop(len);
    }
  }

  private drop(len: number): void {
    this.buf.copyWithin(0, len, this.filled);
    this.filled -= len;
    this.scanned = 0;
    this.hash = 0;
  }

  /** Yields the final partial chunk, if any. */
  *end(): Generator<Buffer> {
    if (this.filled > 0) yield this.take(this.filled);
  }

  private take(len: number): Buffer {
    const out = Buffer.allocUnsafeSlow(len);
    this.buf.copy(out, 0, 0, len);
    this.buf.copyWithin(0, len, this.filled);
    this.filled -= len;
    this.scanned = 0;
    this.hash = 0;
    return out;
  }

  /** Returns the cut length if a boundary lies within the filled bytes, else -1 (state kept). */
  private findCut(): number {
    const { minSize, avgSize, maxSize } = this.params;
    const buf = this.buf;
    const gear = this.gear;
    const filled = this.filled;
    let h = this.hash;
    let i = this.scanned < minSize ? minSize : this.scanned;
    if (filled <= i) {
      if (filled >= maxSize) return maxSize;
      return -1;
    }
    const maskS = this.maskSmall;
    const smallEnd = Math.min(avgSize, filled);
    while (i < smallEnd) {
      h = ((h << 1) + gear[buf[i]]) | 0;
      i++;
      if ((h & maskS) === 0) return i;
    }
    const maskL = this.maskLarge;
    const largeEnd = Math.min(maxSize, filled);
    while (i < largeEnd) {
      h = ((h << 1) + gear[buf[i]]) | 0;
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
