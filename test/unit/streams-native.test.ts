// The native block hasher (native/, streams/native.ts) against node:crypto, block by
// block: it must give the very same digests and zero count, since chunk IDs and stream digests
// recorded by one host are checked by another that may lack the addon.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { nativeDigestBlocks } from '../../streams/native.js';
import { blockDigests } from '../../streams/keyed-hash.js';

/** Reference: SHA-256 per 4 KiB block through node:crypto, 32 zero bytes for an all-zero block. */
function reference(data: Uint8Array): { digests: Buffer; zero: number } {
  const blocks = Math.floor(data.length / 4096);
  const digests = Buffer.alloc(blocks * 32);
  let zero = 0;
  for (let i = 0; i < blocks; i++) {
    const block = data.subarray(i * 4096, (i + 1) * 4096);
    if (block.every((b) => b === 0)) {
      zero++;
      continue;
    }
    crypto.createHash('sha256').update(block).digest().copy(digests, i * 32);
  }
  return { digests, zero };
}

/** A chunk mixing random, zero, nearly-zero (one byte set at either end or in the middle) and text blocks. */
function mixedChunk(blocks: number): Uint8Array {
  const data = crypto.randomBytes(blocks * 4096);
  for (let i = 0; i < blocks; i++) {
    const at = i * 4096;
    switch (i % 7) {
      case 1:
        data.fill(0, at, at + 4096);
        break;
      case 2:
        data.fill(0, at, at + 4096);
        data[at + 4095] = 1;
        break;
      case 3:
        data.fill(0, at, at + 4096);
        data[at + 2048] = 0x80;
        break;
      case 4:
        data.write('2026-12-04 17:00:00 INFO request served in 3 ms\n'.repeat(90).slice(0, 4096), at, 'latin1');
        break;
    }
  }
  return data;
}

const built = (() => {
  try {
    createRequire(import.meta.url)('permafrost-native');
    return true;
  } catch {
    return false;
  }
})();

describe('native block hasher', () => {
  it('is built and used on a CPU with AVX-512 (otherwise node:crypto serves, see docs/native-helpers.md)', () => {
    const cpuHasAvx512 = process.arch === 'x64' && /\bavx512f\b/.test(readCpuFlags()) && /\bavx512bw\b/.test(readCpuFlags());
    expect(built).toBe(true);
    expect(nativeDigestBlocks !== undefined).toBe(cpuHasAvx512 && process.env.PERMAFROST_NATIVE !== '0');
  });

  it.runIf(nativeDigestBlocks !== undefined)('gives the same digests and zero count as node:crypto, for every batch size', () => {
    // 1..40 blocks: partial batches of 16 lanes, exact batches, and batches after zero blocks.
    for (let blocks = 1; blocks <= 40; blocks++) {
      const data = mixedChunk(blocks);
      const out = Buffer.alloc(blocks * 32, 0xee);
      const zero = nativeDigestBlocks!(data, out);
      const ref = reference(data);
      expect(zero).toBe(ref.zero);
      expect(out.equals(ref.digests)).toBe(true);
    }
  });

  it.runIf(nativeDigestBlocks !== undefined)('reads from any offset of a shared buffer and leaves a short tail block to the caller', () => {
    const sab = new SharedArrayBuffer(64 * 4096 + 4096 + 103);
    const data = new Uint8Array(sab, 4096 + 3, 64 * 4096 + 100); // unaligned start, 100-byte tail
    data.set(mixedChunk(64));
    data.set(crypto.randomBytes(100), 64 * 4096);
    const out = Buffer.alloc(65 * 32, 0xee);
    nativeDigestBlocks!(data, out);
    expect(out.subarray(0, 64 * 32).equals(reference(data).digests)).toBe(true);
    expect(out.subarray(64 * 32).every((b) => b === 0xee)).toBe(true); // the tail's slot untouched
    // blockDigests (keyed-hash.ts) completes the tail with node:crypto.
    const tail = crypto.createHash('sha256').update(data.subarray(64 * 4096)).digest();
    expect(blockDigests(data).digests.subarray(64 * 32).equals(tail)).toBe(true);
  });

  it.runIf(nativeDigestBlocks !== undefined)('rejects bad arguments instead of reading or writing out of bounds', () => {
    expect(() => nativeDigestBlocks!(new Uint8Array(8192), new Uint8Array(63))).toThrow(/too small/);
    expect(() => (nativeDigestBlocks as unknown as (a: unknown, b: unknown) => number)('text', new Uint8Array(64))).toThrow(/Uint8Array/);
  });
});

function readCpuFlags(): string {
  try {
    return fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}
