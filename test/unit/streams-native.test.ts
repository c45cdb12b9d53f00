// The native block hasher (native/, streams/native.ts) against node:crypto, block by block, on
// every digest path this CPU runs (avx512, shani, openssl): each must give the very same digests
// and zero count, since chunk IDs and stream digests recorded by one host are checked by another
// that may run another path or lack the addon.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  activeDigestPath,
  availableDigestPaths,
  chooseDigestPath,
  digestBlocksFor,
  nativeDigestBlocks,
  type DigestPath,
} from '../../streams/native.js';
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

const cpuFlags = new Set((/^flags\s*:(.*)$/m.exec(readCpuInfo())?.[1] ?? '').trim().split(/\s+/));
const NATIVE_PATHS = ['avx512', 'shani', 'openssl'] as const;

describe('native block hasher', () => {
  it('is built and offers the paths this CPU runs, the fastest first', () => {
    expect(built).toBe(true);
    if (process.env.PERMAFROST_NATIVE === '0') return void expect(availableDigestPaths()).toEqual(['node']);
    const x64 = process.arch === 'x64';
    const expected: DigestPath[] = [];
    if (x64 && cpuFlags.has('avx512f') && cpuFlags.has('avx512bw')) expected.push('avx512');
    if (x64 && cpuFlags.has('sha_ni') && cpuFlags.has('sse4_1') && cpuFlags.has('ssse3')) expected.push('shani');
    expected.push('openssl', 'node');
    expect(availableDigestPaths()).toEqual(expected);
    expect(activeDigestPath()).toBe(process.env.PERMAFROST_DIGEST_PATH ?? expected[0]);
    expect(nativeDigestBlocks !== undefined).toBe(activeDigestPath() !== 'node');
  });

  it('chooses the forced path, or the fastest, and names what is wrong with a bad one', () => {
    const here: DigestPath[] = ['shani', 'openssl', 'node'];
    expect(chooseDigestPath(undefined, here)).toEqual({ path: 'shani' });
    expect(chooseDigestPath('', here)).toEqual({ path: 'shani' });
    expect(chooseDigestPath('openssl', here)).toEqual({ path: 'openssl' });
    expect(chooseDigestPath('node', here)).toEqual({ path: 'node' });
    expect(chooseDigestPath('avx512', here)).toEqual({ problem: expect.stringMatching(/avx512 does not run on this CPU.*available here: shani, openssl, node/) });
    expect(chooseDigestPath('sha-ni', here)).toEqual({ problem: expect.stringMatching(/"sha-ni" is not a block-digest path: use one of avx512, shani, openssl, node/) });
    expect(() => digestBlocksFor('bogus' as DigestPath)).toThrow(/does not run here/);
    expect(digestBlocksFor('node')).toBeUndefined();
  });

  describe.each(NATIVE_PATHS)('path %s', (path) => {
    const runs = availableDigestPaths().includes(path);
    const digest = runs ? digestBlocksFor(path)! : undefined;

    it.runIf(runs)('gives the same digests and zero count as node:crypto for 0 to 40 blocks', () => {
      // 0..40 blocks: partial batches of 16 lanes, exact batches, and batches after zero blocks.
      for (let blocks = 0; blocks <= 40; blocks++) {
        const data = mixedChunk(blocks);
        const out = Buffer.alloc(blocks * 32, 0xee);
        const zero = digest!(data, out);
        const ref = reference(data);
        expect(zero).toBe(ref.zero);
        expect(out.equals(ref.digests)).toBe(true);
      }
    });

    it.runIf(runs)('reads from any offset of a shared buffer and leaves a short tail block to the caller', () => {
      for (const tail of [1, 100, 4095]) {
        const sab = new SharedArrayBuffer(64 * 4096 + 4096 + tail + 3);
        const data = new Uint8Array(sab, 4096 + 3, 64 * 4096 + tail); // unaligned start, ragged tail
        data.set(mixedChunk(64));
        data.set(crypto.randomBytes(tail), 64 * 4096);
        const out = Buffer.alloc(65 * 32, 0xee);
        digest!(data, out);
        expect(out.subarray(0, 64 * 32).equals(reference(data).digests)).toBe(true);
        expect(out.subarray(64 * 32).every((b) => b === 0xee)).toBe(true); // the tail's slot untouched
      }
    });

    it.runIf(runs)('rejects bad arguments instead of reading or writing out of bounds', () => {
      expect(() => digest!(new Uint8Array(8192), new Uint8Array(63))).toThrow(/too small/);
      expect(() => (digest as unknown as (a: unknown, b: unknown) => number)('text', new Uint8Array(64))).toThrow(/Uint8Array/);
    });
  });

  it('completes a ragged tail with node:crypto (keyed-hash.ts blockDigests)', () => {
    const data = new Uint8Array(new SharedArrayBuffer(5 * 4096 + 105), 5, 5 * 4096 + 100);
    data.set(mixedChunk(5));
    data.set(crypto.randomBytes(100), 5 * 4096);
    const { digests, zeroBlocks } = blockDigests(data);
    expect(digests.subarray(0, 5 * 32).equals(reference(data).digests)).toBe(true);
    expect(digests.subarray(5 * 32).equals(crypto.createHash('sha256').update(data.subarray(5 * 4096)).digest())).toBe(true);
    expect(zeroBlocks).toBe(reference(data).zero);
  });

  it.runIf(built)('the native binding refuses a path index this CPU does not run', () => {
    const binding = createRequire(import.meta.url)('permafrost-native') as { digestBlocks: (a: Uint8Array, b: Uint8Array, p: number) => number };
    expect(() => binding.digestBlocks(new Uint8Array(4096), new Uint8Array(32), 99)).toThrow(/does not run that digest path/);
  });
});

function readCpuInfo(): string {
  try {
    return fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}
