import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlobIntegrityError, openBlob, sealBlob } from '../../streams/blob-crypto.js';
import { blockDigests, fixedChunkId, plainChunkId, truncateDigests, BLOCK_HASH_BYTES } from '../../streams/keyed-hash.js';
import { WorkerPool } from '../../streams/worker-pool.js';
import { applyDelta, changedBlocks, encodeDelta } from '../../src/repository/delta.js';

const key = Buffer.alloc(32, 1);
const id = Buffer.alloc(32, 2);

describe('blob sealing (zstd + AES-256-GCM)', () => {
  it('round-trips, compresses text and leaves random data uncompressed', () => {
    const text = Buffer.from('2026-11-21 host1 GET /index.html 200\n'.repeat(20_000));
    const sealedText = sealBlob(key, id, text, 3);
    expect(sealedText.length).toBeLessThan(text.length / 10);
    expect(openBlob(key, id, sealedText).equals(text)).toBe(true);
    const random = crypto.randomBytes(100_000);
    const sealedRandom = sealBlob(key, id, random, 3);
    expect(sealedRandom.length).toBe(random.length + 29);
    expect(openBlob(key, id, sealedRandom).equals(random)).toBe(true);
  });

  it('uses a fresh nonce each time', () => {
    const data = Buffer.from('same data');
    expect(sealBlob(key, id, data, 3).equals(sealBlob(key, id, data, 3))).toBe(false);
  });

  it('detects a flipped byte, a wrong key and a swapped chunk ID (AAD)', () => {
    const sealed = sealBlob(key, id, crypto.randomBytes(5000), 3);
    const flipped = Buffer.from(sealed);
    flipped[100] ^= 1;
    expect(() => openBlob(key, id, flipped)).toThrow(BlobIntegrityError);
    expect(() => openBlob(Buffer.alloc(32, 9), id, sealed)).toThrow(BlobIntegrityError);
    expect(() => openBlob(key, Buffer.alloc(32, 3), sealed)).toThrow(BlobIntegrityError);
  });
});

describe('keyed hashes', () => {
  it('chunk IDs depend on the key', () => {
    const data = Buffer.from('hello');
    expect(plainChunkId(key, data).equals(plainChunkId(Buffer.alloc(32, 5), data))).toBe(false);
  });

  it('fixed chunk IDs come from 4 KiB block digests; zero blocks are not hashed', () => {
    const chunk = Buffer.alloc(64 * 1024);
    crypto.randomFillSync(chunk, 8192, 4096);
    const { digests, zeroBlocks } = blockDigests(chunk);
    expect(zeroBlocks).toBe(15);
    expect(digests.length).toBe(16 * 32);
    const idA = fixedChunkId(key, chunk.length, digests);
    chunk[9000] ^= 1;
    expect(fixedChunkId(key, chunk.length, blockDigests(chunk).digests).equals(idA)).toBe(false);
    expect(truncateDigests(digests).length).toBe(16 * BLOCK_HASH_BYTES);
  });
});

describe('sub-block deltas', () => {
  it('encodes only the changed blocks and rebuilds the chunk exactly', () => {
    const base = crypto.randomBytes(1 << 20);
    const next = Buffer.from(base);
    crypto.randomFillSync(next, 4096 * 3, 4096);
    crypto.randomFillSync(next, 4096 * 200 + 5, 10);
    const changed = changedBlocks(truncateDigests(blockDigests(next).digests), truncateDigests(blockDigests(base).digests))!;
    expect(changed).toEqual([3, 200]);
    const delta = encodeDelta(id, next, changed);
    expect(delta.length).toBeLessThan(3 * 4096);
    expect(applyDelta(base, delta).equals(next)).toBe(true);
  });
});

describe('worker pool', () => {
  it('seals and opens in worker threads with transfer, bounded in flight', async () => {
    const pool = new WorkerPool(2, 4);
    try {
      const inputs = Array.from({ length: 12 }, () => crypto.randomBytes(256 * 1024));
      const copies = inputs.map((b) => Buffer.from(b));
      const sealed = await Promise.all(inputs.map((data) => pool.run({ op: 'seal', key, aad: id, data, level: 3 }, true)));
      const opened = await Promise.all(sealed.map((data) => pool.run({ op: 'open', key, aad: id, data })));
      opened.forEach((o, i) => expect(o.equals(copies[i])).toBe(true));
      const bad = Buffer.from(sealed[0]);
      bad[50] ^= 0xff;
      await expect(pool.run({ op: 'open', key, aad: id, data: bad })).rejects.toBeInstanceOf(BlobIntegrityError);
    } finally {
      await pool.close();
    }
  });
});
