import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CdcChunker, cdcChunks, gearTable, DEFAULT_CDC_PARAMS } from '../../streams/cdc-chunker.js';
import { fixedChunks } from '../../streams/fixed-chunker.js';
import { isAllZero } from '../../streams/zero-detect.js';

const MiB = 1 << 20;

/** Deterministic pseudo-random bytes (so failures reproduce). */
function prng(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  const cipher = crypto.createCipheriv('aes-256-ctr', crypto.createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  cipher.update(out).copy(out);
  return out;
}

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of gen) out.push(c);
  return out;
}

/** Feeds data in uneven pieces, as a real stream would. */
function pieces(data: Buffer, size = 65_537): Readable {
  const parts: Buffer[] = [];
  for (let o = 0; o < data.length; o += size) parts.push(data.subarray(o, o + size));
  return Readable.from(parts);
}

describe('fixed chunker', () => {
  it('cuts exact-size chunks at fixed offsets, last one shorter, each with its own ArrayBuffer', async () => {
    const data = prng(5 * MiB + 123, 'fixed');
    const chunks = await collect(fixedChunks(pieces(data), MiB));
    expect(chunks.map((c) => c.length)).toEqual([MiB, MiB, MiB, MiB, MiB, 123]);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    for (const c of chunks.slice(0, 5)) expect(c.buffer.byteLength).toBe(MiB);
  });
});

describe('content-defined chunker', () => {
  const gear = gearTable(Buffer.alloc(32, 7));

  it('reassembles the input, respects min/max sizes and averages near the target', async () => {
    const data = prng(24 * MiB, 'cdc');
    const chunks = await collect(cdcChunks(pieces(data), gear));
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    for (const c of chunks.slice(0, -1)) {
      expect(c.length).toBeGreaterThanOrEqual(DEFAULT_CDC_PARAMS.minSize);
      expect(c.length).toBeLessThanOrEqual(DEFAULT_CDC_PARAMS.maxSize);
    }
    const avg = data.length / chunks.length;
    expect(avg).toBeGreaterThan(0.5 * MiB);
    expect(avg).toBeLessThan(2 * MiB);
  });

  it('does not depend on how the input is split into pieces', async () => {
    const data = prng(8 * MiB, 'split');
    const a = (await collect(cdcChunks(pieces(data, 4096), gear))).map((c) => c.length);
    const b = (await collect(cdcChunks(pieces(data, 3 * MiB + 17), gear))).map((c) => c.length);
    expect(a).toEqual(b);
  });

  it('keeps the chunks after an insertion (only the chunks around it change)', async () => {
    const data = prng(32 * MiB, 'insert');
    const inserted = Buffer.concat([data.subarray(0, 100_000), prng(1024, 'ins'), data.subarray(100_000)]);
    const hash = (c: Buffer): string => crypto.createHash('sha256').update(c).digest('hex');
    const before = new Set((await collect(cdcChunks(pieces(data), gear))).map(hash));
    const after = (await collect(cdcChunks(pieces(inserted), gear))).map(hash);
    const changed = after.filter((h) => !before.has(h)).length;
    expect(after.length).toBeGreaterThan(10);
    expect(changed).toBeLessThanOrEqual(2);
  });

  it('cuts elsewhere with another repository secret (the gear table is keyed)', async () => {
    const data = prng(8 * MiB, 'keyed');
    const a = (await collect(cdcChunks(pieces(data), gear))).map((c) => c.length);
    const b = (await collect(cdcChunks(pieces(data), gearTable(Buffer.alloc(32, 8))))).map((c) => c.length);
    expect(a).not.toEqual(b);
  });

  it('cuts at maxSize on data without boundaries (zeros) and emits the tail on end()', () => {
    const c = new CdcChunker(gear, { minSize: 1024, avgSize: 4096, maxSize: 8192 });
    const out = [...c.push(Buffer.alloc(20_000)), ...c.end()];
    expect(out.map((b) => b.length)).toEqual([8192, 8192, 3616]);
  });

  // Speed is measured by `npm run bench`, never asserted here (shared, noisy machines).
  it('cuts 32 MiB of random data into chunks within the size bounds that concatenate back to the input', () => {
    const data = prng(32 * MiB, 'bounds');
    const c = new CdcChunker(gear);
    const chunks: Buffer[] = [];
    for (let o = 0; o < data.length; o += MiB) for (const ch of c.push(data.subarray(o, o + MiB))) chunks.push(Buffer.from(ch));
    for (const ch of c.end()) chunks.push(Buffer.from(ch));
    const { minSize, maxSize } = DEFAULT_CDC_PARAMS;
    for (const ch of chunks.slice(0, -1)) {
      expect(ch.length).toBeGreaterThanOrEqual(minSize);
      expect(ch.length).toBeLessThanOrEqual(maxSize);
    }
    expect(chunks.length).toBeGreaterThan(8);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });
});

describe('zero detection', () => {
  it('recognises all-zero buffers of any size', () => {
    expect(isAllZero(Buffer.alloc(3 * MiB + 5))).toBe(true);
    const b = Buffer.alloc(3 * MiB + 5);
    b[3 * MiB + 4] = 1;
    expect(isAllZero(b)).toBe(false);
    expect(isAllZero(Buffer.alloc(0))).toBe(true);
  });
});
