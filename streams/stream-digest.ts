// Whole-stream digests, as recorded in the snapshot manifest (`sha256` of a stream) and checked on
// restore, bundle import and cloud verification. Two algorithms; the recorded string names it:
//
//   sha256      64 hex digits: SHA-256 of the raw bytes (CDC streams, and every stream written
//               before the block tree existed).
//   sha256-b4k  "sha256-b4k:" + 64 hex digits (fixed-chunker streams): a one-level hash tree over
//               4 KiB blocks, computable from the raw bytes by anyone:
//                 D_i = SHA-256(block i)   (blocks of 4096 bytes from offset 0, the last may be
//                                           shorter; an all-zero block gives 32 zero bytes instead)
//                 digest = SHA-256(D_0 ‖ D_1 ‖ … ‖ D_{n-1} ‖ u64le(stream length))
//               The backup gets the D_i for free (they also make the keyed chunk IDs, see
//               keyed-hash.ts) and zero runs cost nothing; a restore checks each chunk against its
//               ID and folds the same D_i, so nothing is hashed twice and holes are never read.
//
// See docs/repository-format.md ("Stream digests").
import crypto from 'node:crypto';
import { BLOCK_SIZE, blockDigests } from './keyed-hash.js';

export type StreamDigestAlg = 'sha256' | 'sha256-b4k';

const TREE_PREFIX = 'sha256-b4k:';
const ZERO_DIGESTS = Buffer.alloc(64 * 32);

/** The algorithm of a recorded digest (a bare hex string is plain SHA-256). */
export function digestAlgOf(recorded: string): StreamDigestAlg {
  return recorded.startsWith(TREE_PREFIX) ? 'sha256-b4k' : 'sha256';
}

/** The hex part of a recorded digest. */
export function digestHex(recorded: string): string {
  return recorded.startsWith(TREE_PREFIX) ? recorded.slice(TREE_PREFIX.length) : recorded;
}

/** The algorithm a stream written with `chunker` records. */
export function digestAlgFor(chunker: 'fixed' | 'cdc'): StreamDigestAlg {
  return chunker === 'fixed' ? 'sha256-b4k' : 'sha256';
}

export interface StreamDigest {
  readonly alg: StreamDigestAlg;
  /** Next bytes of the stream (any size). */
  update(data: Uint8Array): void;
  /** The digest as recorded in manifests. */
  digest(): string;
}

/**
 * The block tree, fed either raw bytes (`update`, any piece sizes) or, at block boundaries, the
 * block digests the chunk hashing already produced (`updateDigests`) and zero runs (`updateZeros`).
 */
export class BlockTreeDigest implements StreamDigest {
  readonly alg = 'sha256-b4k' as const;
  private readonly sha = crypto.createHash('sha256');
  private length = 0;
  private readonly carry = Buffer.alloc(BLOCK_SIZE);
  private carried = 0;

  update(data: Uint8Array): void {
    let pos = 0;
    if (this.carried > 0) {
      const n = Math.min(BLOCK_SIZE - this.carried, data.length);
      this.carry.set(data.subarray(0, n), this.carried);
      this.carried += n;
      pos = n;
      if (this.carried < BLOCK_SIZE) return;
      this.sha.update(blockDigests(this.carry).digests);
      this.length += BLOCK_SIZE;
      this.carried = 0;
    }
    const whole = Math.floor((data.length - pos) / BLOCK_SIZE) * BLOCK_SIZE;
    if (whole > 0) {
      this.sha.update(blockDigests(data.subarray(pos, pos + whole)).digests);
      this.length += whole;
      pos += whole;
    }
    if (pos < data.length) {
      this.carry.set(data.subarray(pos), 0);
      this.carried = data.length - pos;
    }
  }

  /** Digests (32 bytes per block) of the next `length` bytes; the stream must be at a block boundary. */
  updateDigests(digests: Uint8Array, length: number): void {
    this.atBoundary();
    if (digests.length !== Math.ceil(length / BLOCK_SIZE) * 32) throw new Error(`${digests.length / 32} block digests for ${length} bytes`);
    this.sha.update(digests);
    this.length += length;
  }

  /** A zero run of `length` bytes (at a block boundary). */
  updateZeros(length: number): void {
    this.atBoundary();
    let blocks = Math.ceil(length / BLOCK_SIZE);
    while (blocks > 0) {
      const n = Math.min(blocks, ZERO_DIGESTS.length / 32);
      this.sha.update(ZERO_DIGESTS.subarray(0, n * 32));
      blocks -= n;
    }
    this.length += length;
  }

  private atBoundary(): void {
    if (this.carried > 0 || this.length % BLOCK_SIZE !== 0) throw new Error('block tree digest fed digests off a block boundary');
  }

  digest(): string {
    if (this.carried > 0) {
      this.sha.update(blockDigests(this.carry.subarray(0, this.carried)).digests);
      this.length += this.carried;
      this.carried = 0;
    }
    const trailer = Buffer.alloc(8);
    trailer.writeBigUInt64LE(BigInt(this.length));
    return TREE_PREFIX + this.sha.update(trailer).digest('hex');
  }
}

class PlainDigest implements StreamDigest {
  readonly alg = 'sha256' as const;
  private readonly sha = crypto.createHash('sha256');
  update(data: Uint8Array): void {
    this.sha.update(data);
  }
  digest(): string {
    return this.sha.digest('hex');
  }
}

/** A digest of the given algorithm, fed raw bytes. */
export function createStreamDigest(alg: StreamDigestAlg): StreamDigest {
  return alg === 'sha256-b4k' ? new BlockTreeDigest() : new PlainDigest();
}

/** Digest of a whole buffer. */
export function streamDigestOf(alg: StreamDigestAlg, data: Uint8Array): string {
  const d = createStreamDigest(alg);
  d.update(data);
  return d.digest();
}
