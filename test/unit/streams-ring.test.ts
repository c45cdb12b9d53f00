// The backup path's memory pieces: the shared chunk ring, chunk sources, in-place sealing, the pack
// writer's reused buffers.
import crypto from 'node:crypto';
import { createReadStream, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { looksIncompressible, openBlob, SealScratch, sealBlobInto, BLOB_OVERHEAD } from '../../streams/blob-crypto.js';
import { ByteRing, SEAL_SLACK } from '../../streams/byte-ring.js';
import { CdcChunker, DEFAULT_CDC_PARAMS, gearTable } from '../../streams/cdc-chunker.js';
import { fileSource, iterableSource, sourceOf } from '../../streams/chunk-source.js';
import { BlobIndex } from '../../src/repository/blob-index.js';
import { PackWriter } from '../../src/repository/pack-writer.js';
import type { Backend } from '../../src/repository/types.js';
import { MiB, prng, tempDir } from './repository-helpers.js';

describe('byte ring', () => {
  it('allocates FIFO, reuses space once the oldest regions are freed, frees out of order', () => {
    const ring = new ByteRing(100);
    const a = ring.tryAlloc(40)!;
    const b = ring.tryAlloc(40)!;
    expect([a, b]).toEqual([0, 40]);
    expect(ring.tryAlloc(40)).toBeUndefined(); // only 20 left at the end, nothing at the start
    ring.free(b); // out of order: a is still live, so b's space is not reusable before it
    expect(ring.tryAlloc(40)).toBeUndefined();
    expect(ring.tryAlloc(20)).toBe(80); // after b's old region the tail is free
    ring.free(a); // now the start is free: wraps around
    const c = ring.tryAlloc(50)!;
    expect(c).toBe(0);
    expect(ring.tryAlloc(31)).toBeUndefined(); // wrapped: room only between 50 and 80
    expect(ring.tryAlloc(30)).toBe(50);
    expect(ring.liveRegions).toBe(3);
    ring.free(80);
    ring.free(0);
    ring.free(50);
    expect(ring.liveRegions).toBe(0);
    expect(ring.tryAlloc(100)).toBe(0);
  });

  it('refuses regions larger than the ring and unknown frees; wakes waiters on free', async () => {
    const ring = new ByteRing(10);
    expect(() => ring.tryAlloc(11)).toThrow(/cannot allocate/);
    expect(() => ring.free(3)).toThrow(/not allocated/);
    const off = ring.tryAlloc(10)!;
    let woke = false;
    const waiting = ring.freed().then(() => (woke = true));
    expect(woke).toBe(false);
    ring.free(off);
    await waiting;
    expect(woke).toBe(true);
  });

  it('never hands out overlapping regions under a random alloc/free mix', () => {
    const ring = new ByteRing(1000);
    const live = new Map<number, number>();
    const rnd = prng(20_000, 'ring');
    for (let i = 0; i < 3000; i++) {
      if (rnd[i] % 3 !== 0 || live.size === 0) {
        const len = 1 + (rnd[i + 10_000] % 300);
        const off = ring.tryAlloc(len);
        if (off !== undefined) {
          expect(off + len).toBeLessThanOrEqual(1000);
          for (const [o, l] of live) expect(off + len <= o || o + l <= off).toBe(true);
          live.set(off, len);
        }
      } else {
        const keys = [...live.keys()];
        const k = keys[rnd[i] % keys.length];
        ring.free(k);
        live.delete(k);
      }
    }
    for (const k of live.keys()) ring.free(k);
    expect(ring.tryAlloc(1000)).toBe(0);
  });

  it('views share the ring memory', () => {
    const ring = new ByteRing(64);
    ring.view(8, 4).write('abcd', 'latin1');
    expect(ring.view(0, 16).toString('latin1', 8, 12)).toBe('abcd');
  });
});

describe('chunk sources', () => {
  const data = prng(3 * MiB + 123, 'source');

  it('fill each buffer completely until the end, from any piece size', async () => {
    const tmp = tempDir('source');
    try {
      const file = `${tmp.dir}/f.bin`;
      writeFileSync(file, data);
      for (const src of [
        await fileSource(file),
        iterableSource(Readable.from([data.subarray(0, 1000), data.subarray(1000, 2 * MiB), data.subarray(2 * MiB)])),
        await sourceOf(createReadStream(file, { highWaterMark: 65536 })),
        await sourceOf(createReadStream(file, { start: 0, end: data.length - 1 })),
      ]) {
        const out: Buffer[] = [];
        for (;;) {
          const buf = Buffer.alloc(MiB);
          const n = await src.read(buf);
          if (n === 0) break;
          out.push(buf.subarray(0, n));
          if (n < MiB) expect(out.reduce((s, b) => s + b.length, 0)).toBe(data.length);
        }
        await src.close();
        expect(out.map((b) => b.length)).toEqual([MiB, MiB, MiB, 123]);
        expect(Buffer.concat(out).equals(data)).toBe(true);
      }
    } finally {
      tmp.cleanup();
    }
  });
});

describe('in-place sealing', () => {
  const key = Buffer.alloc(32, 7);
  const aad = Buffer.alloc(32, 8);

  it('seals over the chunk itself (same envelope as sealBlob), compressing text and not random data', () => {
    const scratch = new SealScratch();
    const text = Buffer.from('2026-11-22T01:00:00 host-7 sshd[123]: Accepted publickey for ops\n'.repeat(16_384)).subarray(0, MiB);
    const random = crypto.randomBytes(MiB);
    for (const [chunk, compressible] of [
      [text, true],
      [random, false],
    ] as const) {
      const region = Buffer.alloc(chunk.length + SEAL_SLACK);
      chunk.copy(region);
      const n = sealBlobInto(scratch, key, aad, region.subarray(0, chunk.length), 1, region, 0);
      if (compressible) expect(n).toBeLessThan(chunk.length / 4);
      else expect(n).toBe(chunk.length + BLOB_OVERHEAD);
      expect(openBlob(key, aad, Buffer.from(region.subarray(0, n))).equals(chunk)).toBe(true);
    }
  });

  it('seals raw data straight from the chunk into another buffer, over itself, or into a shifted place of the same buffer', () => {
    const scratch = new SealScratch();
    // Not a multiple of the cipher piece: the last piece is short.
    const random = crypto.randomBytes(MiB + 12_345);
    const other = Buffer.alloc(random.length + SEAL_SLACK);
    let n = sealBlobInto(scratch, key, aad, random, 0, other, 3);
    expect(n).toBe(random.length + BLOB_OVERHEAD);
    expect(openBlob(key, aad, Buffer.from(other.subarray(3, 3 + n))).equals(random)).toBe(true);
    for (const shift of [0, 5, -5]) {
      const buf = Buffer.alloc(random.length + 2 * SEAL_SLACK);
      const at = SEAL_SLACK;
      random.copy(buf, at);
      n = sealBlobInto(scratch, key, aad, buf.subarray(at, at + random.length), 1, buf, at + shift);
      expect(n).toBe(random.length + BLOB_OVERHEAD);
      expect(openBlob(key, aad, Buffer.from(buf.subarray(at + shift, at + shift + n))).equals(random)).toBe(true);
    }
  });

  it('the probe sees random data as incompressible and text or zeros as compressible', () => {
    const scratch = new SealScratch();
    expect(looksIncompressible(scratch, crypto.randomBytes(MiB), 1)).toBe(true);
    expect(looksIncompressible(scratch, Buffer.alloc(MiB), 1)).toBe(false);
    const half = Buffer.concat([crypto.randomBytes(MiB / 2), Buffer.alloc(MiB / 2)]);
    expect(looksIncompressible(scratch, half, 1)).toBe(false);
    expect(looksIncompressible(scratch, crypto.randomBytes(1000), 1)).toBe(false); // small: always tried
  });
});

describe('CDC chunker views', () => {
  it('yield the same chunks as the copying API', () => {
    const gear = gearTable(Buffer.alloc(32, 5));
    const data = prng(9 * MiB, 'cdc-views');
    const copies: Buffer[] = [];
    const a = new CdcChunker(gear, DEFAULT_CDC_PARAMS);
    for (let o = 0; o < data.length; o += 700_000) copies.push(...a.push(data.subarray(o, o + 700_000)));
    copies.push(...a.end());
    const views: Buffer[] = [];
    const b = new CdcChunker(gear, DEFAULT_CDC_PARAMS);
    for (let o = 0; o < data.length; o += MiB) for (const v of b.pushViews(data.subarray(o, o + MiB))) views.push(Buffer.from(v));
    for (const v of b.endViews()) views.push(Buffer.from(v));
    expect(views.length).toBe(copies.length);
    expect(views.every((v, i) => v.equals(copies[i]))).toBe(true);
  });

  it('cut the same chunks when the input is read straight into room() in uneven pieces', () => {
    const gear = gearTable(Buffer.alloc(32, 5));
    const data = prng(13 * MiB, 'cdc-room');
    const copies: Buffer[] = [];
    const a = new CdcChunker(gear, DEFAULT_CDC_PARAMS);
    for (let o = 0; o < data.length; o += MiB) copies.push(...a.push(data.subarray(o, o + MiB)));
    copies.push(...a.end());
    // Pieces from 1 byte to 3 MiB, so the buffered rest is moved to the front many times.
    const sizes = [1, 4095, 700_000, 3 * MiB, 17, MiB + 1, 2 * MiB];
    const views: Buffer[] = [];
    const b = new CdcChunker(gear, DEFAULT_CDC_PARAMS);
    for (let o = 0, k = 0; o < data.length; k++) {
      const room = b.room(sizes[k % sizes.length]);
      const n = Math.min(room.length, sizes[k % sizes.length], data.length - o);
      data.copy(room, 0, o, o + n);
      o += n;
      for (const v of b.cutViews(n)) views.push(Buffer.from(v));
    }
    for (const v of b.endViews()) views.push(Buffer.from(v));
    expect(Buffer.concat(views).equals(data)).toBe(true);
    expect(views.map((v) => v.length)).toEqual(copies.map((c) => c.length));
    expect(() => [...b.cutViews(b.room().length + 1)]).toThrow(RangeError);
  });
});

describe('pack writer', () => {
  /** An in-memory backend that copies what it is given (the writer reuses its buffers). */
  function memoryBackend(): Backend & { objects: Map<string, Buffer> } {
    const objects = new Map<string, Buffer>();
    return {
      objects,
      location: 'memory:',
      put: async (k: string, d: Buffer) => {
        await new Promise((r) => setTimeout(r, 1));
        objects.set(k, Buffer.from(d));
      },
    } as unknown as Backend & { objects: Map<string, Buffer> };
  }

  it('stores every blob once, in packs near the target size, from buffers it reuses', async () => {
    const backend = memoryBackend();
    const index = new BlobIndex(Buffer.alloc(32, 1));
    const packer = new PackWriter(backend, index, {}, 4 * MiB);
    const blobs = Array.from({ length: 40 }, (_, i) => prng(100_000 + i * 7919, `blob-${i}`));
    // Concurrent adds (as several seals finishing at once); each source buffer is wiped once its
    // add() resolves, as the ring reuses its regions.
    await Promise.all(
      blobs.map(async (b) => {
        const id = crypto.createHash('sha256').update(b).digest('hex');
        index.reserve(id);
        const region = Buffer.from(b);
        await packer.add({ id, type: 'data', scheme: 'plain', raw: b.length, key: 'k', data: region });
        region.fill(0xee);
      }),
    );
    await packer.flush();
    const packs = [...backend.objects.keys()].filter((k) => k.startsWith('data/'));
    expect(packs.length).toBeGreaterThanOrEqual(1);
    expect(index.size).toBe(blobs.length);
    for (const b of blobs) {
      const id = crypto.createHash('sha256').update(b).digest('hex');
      const at = index.get(id)!;
      const pack = backend.objects.get([...backend.objects.keys()].find((k) => k.startsWith('data/') && k.endsWith(at.pack))!)!;
      expect(pack.subarray(at.offset, at.offset + at.length).equals(b)).toBe(true);
    }
    for (const k of packs) expect(backend.objects.get(k)!.length).toBeLessThan(4 * MiB + 200_000);
  });

  it('reuses a pack buffer once it is written, before the pack is durable; flush waits for durability', async () => {
    // putParts copies the parts, says "written", and becomes durable only when the test says so.
    const objects = new Map<string, Buffer>();
    const syncs: (() => void)[] = [];
    let durable = 0;
    const backend = {
      location: 'memory:',
      put: async (k: string, d: Buffer) => {
        objects.set(k, Buffer.from(d));
      },
      putParts: async (k: string, parts: Buffer[], onWritten?: () => void) => {
        objects.set(k, Buffer.concat(parts));
        onWritten?.();
        await new Promise<void>((resolve) => syncs.push(resolve));
        durable++;
      },
    } as unknown as Backend;
    const index = new BlobIndex(Buffer.alloc(32, 2));
    const packer = new PackWriter(backend, index, {}, 1 * MiB);
    const blobs = Array.from({ length: 12 }, (_, i) => prng(600_000, `durable-${i}`));
    const ids: string[] = [];
    for (const b of blobs) {
      const id = crypto.createHash('sha256').update(b).digest('hex');
      ids.push(id);
      index.reserve(id);
      // Every add() resolves although no pack is durable yet: the writer is not held up by fsync
      // until more than maxUploads + 3 packs wait for it.
      const added = packer.add({ id, type: 'data', scheme: 'plain', raw: b.length, key: 'k', data: Buffer.from(b) });
      for (let spin = 0; spin < 50 && syncs.length > 0 && syncs.length >= 4; spin++) syncs.shift()!();
      await added;
    }
    let flushed = false;
    const flushing = packer.flush().then(() => (flushed = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(flushed).toBe(false); // packs still syncing
    while (!flushed) {
      while (syncs.length > 0) syncs.shift()!();
      await new Promise((r) => setTimeout(r, 5));
    }
    await flushing;
    expect(durable).toBe([...objects.keys()].filter((k) => k.startsWith('data/')).length);
    for (let i = 0; i < blobs.length; i++) {
      const at = index.get(ids[i])!;
      const pack = objects.get([...objects.keys()].find((k) => k.startsWith('data/') && k.endsWith(at.pack))!)!;
      expect(pack.subarray(at.offset, at.offset + at.length).equals(blobs[i])).toBe(true);
    }
  });
});
