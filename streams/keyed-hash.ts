// Keyed hashes: chunk IDs are HMAC-SHA256 under a repository secret, so whoever stores the data
// cannot confirm a guess about its content by hashing candidate plaintext.
import crypto from 'node:crypto';
import { isAllZero } from './zero-detect.js';
import { nativeDigestBlocks } from './native.js';

/** Sub-block size of the block-incremental delta scheme. */
export const BLOCK_SIZE = 4096;
/** Bytes kept per block digest in stream maps (64 bits: a false "unchanged" has p = 2^-64). */
export const BLOCK_HASH_BYTES = 8;

/** HKDF-SHA256 sub-key derivation: one secret, independent keys per purpose. */
export function deriveKey(secret: Buffer, purpose: string, length = 32): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0), Buffer.from(`permafrost:${purpose}`), length));
}

/** Chunk ID of content-defined chunks, documents and maps: HMAC-SHA256(idKey, data). */
export function plainChunkId(idKey: Buffer, data: Uint8Array): Buffer {
  return crypto.createHmac('sha256', idKey).update(data).digest();
}

/**
 * Per-4 KiB block digests of a fixed-size chunk: SHA-256 of each block, or 32 zero bytes for an
 * all-zero block (no hashing: zero runs are free). The digests never leave the process unencrypted:
 * stream maps keep an 8-byte prefix, encrypted under a key derived from the dedup key.
 */
export function blockDigests(data: Uint8Array): { digests: Buffer; zeroBlocks: number } {
  const digests = Buffer.alloc(Math.ceil(data.length / BLOCK_SIZE) * 32);
  return { digests, zeroBlocks: digestBlocks(data, digests) };
}

/** The same block digests, written into `out` (default: a fresh buffer) at 32 bytes per block. */
export function blockDigestsInto(data: Uint8Array, out?: Buffer): Buffer {
  const count = Math.ceil(data.length / BLOCK_SIZE);
  const digests = out ?? Buffer.alloc(count * 32);
  if (digests.length < count * 32) throw new Error(`digest buffer holds ${digests.length / 32} of ${count} blocks`);
  digestBlocks(data, digests);
  return digests;
}

/**
 * Writes the block digests of `data` into `out`; returns the number of all-zero blocks. Each digest
 * comes back as a short latin1 ('binary') string, which lives on the V8 heap, instead of a 32-byte
 * Buffer with its own backing store (256 per MiB, freed only when collected), which is faster.
 * Most data blocks are told from zero blocks by their first or last byte without a full compare.
 */
function digestBlocks(data: Uint8Array, out: Buffer): number {
  const count = Math.ceil(data.length / BLOCK_SIZE);
  let zeroBlocks = 0;
  let i = 0;
  // The native hasher takes the whole blocks (see native.ts); a short tail block is hashed below.
  if (nativeDigestBlocks && data.length >= BLOCK_SIZE) {
    zeroBlocks = nativeDigestBlocks(data, out);
    i = Math.floor(data.length / BLOCK_SIZE);
  }
  for (; i < count; i++) {
    const start = i * BLOCK_SIZE;
    const end = Math.min(data.length, start + BLOCK_SIZE);
    const block = data.subarray(start, end);
    if (data[start] === 0 && data[end - 1] === 0 && isAllZero(block)) {
      out.fill(0, i * 32, i * 32 + 32);
      zeroBlocks++;
      continue;
    }
    out.write(crypto.hash('sha256', block, 'binary'), i * 32, 32, 'latin1');
  }
  return zeroBlocks;
}

/**
 * Chunk ID of fixed-size chunks: HMAC over the block digests (a Merkle-style root), so the data
 * is hashed once for both the chunk ID and the per-block delta digests.
 */
export function fixedChunkId(idKey: Buffer, length: number, digests: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.write('F', 0, 'latin1');
  header.writeBigUInt64LE(BigInt(length), 1);
  return crypto.createHmac('sha256', idKey).update(header).update(digests).digest();
}

/** Truncates 32-byte block digests to BLOCK_HASH_BYTES each, as stored in stream maps. */
export function truncateDigests(digests: Buffer): Buffer {
  const count = digests.length / 32;
  const out = Buffer.alloc(count * BLOCK_HASH_BYTES);
  for (let i = 0; i < count; i++) digests.copy(out, i * BLOCK_HASH_BYTES, i * 32, i * 32 + BLOCK_HASH_BYTES);
  return out;
}
