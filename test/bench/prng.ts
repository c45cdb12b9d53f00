// Deterministic randomness for the benchmark workload. Decisions (extent sizes and kinds, which
// blocks change) come from a small seeded PRNG; bulk incompressible bytes come from an AES-CTR
// keystream (native, several GB/s), keyed from the seed and a label so that every extent's content
// is reproducible on its own.
import { createCipheriv, createHash } from 'node:crypto';

/** sfc32: a small, fast, well-distributed 32-bit generator (not cryptographic; it need not be). */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    const h = createHash('sha256').update(seed).digest();
    this.a = h.readUInt32LE(0);
    this.b = h.readUInt32LE(4);
    this.c = h.readUInt32LE(8);
    this.d = h.readUInt32LE(12) | 1;
    for (let i = 0; i < 16; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}

/** A reproducible stream of incompressible bytes for one label (e.g. an extent number). */
export class Keystream {
  private readonly cipher;

  constructor(seed: string, label: string) {
    const material = createHash('sha256').update(`${seed}\0${label}`).digest();
    this.cipher = createCipheriv('aes-128-ctr', material.subarray(0, 16), material.subarray(16, 32));
  }

  /** The next `length` bytes of the keystream (encrypting zeros yields the keystream itself). */
  take(length: number): Buffer {
    return this.cipher.update(Buffer.alloc(length));
  }
}
