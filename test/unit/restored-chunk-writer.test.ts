// The restore workers' chunk writer (streams/restored-chunk-writer.ts): chunks handed over faster
// than the device takes them are all written — O_DIRECT while its writes in flight are few, through
// the page cache beyond — at their offsets, zero 4 KiB blocks left as holes, a ragged last block
// through the ordinary descriptor; errors come back with their errno code.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChunkWriteError, RestoredChunkWriter } from '../../streams/restored-chunk-writer.js';
import { tempDir } from './repository-helpers.js';

const CHUNK = 256 * 1024;

/** Chunk i: random data with every third 4 KiB block zero, and chunk 2 all zeros. */
function chunkContent(i: number, length: number): Buffer {
  const b = crypto.randomBytes(length);
  for (let off = 0; off < length; off += 4096) if (i === 2 || (off / 4096) % 3 === 1) b.fill(0, off, Math.min(length, off + 4096));
  return b;
}

describe('restored chunk writer', () => {
  const tmp = tempDir('chunk-writer');
  afterAll(() => tmp.cleanup());

  /** Hands over 24 chunks (the last ragged) without waiting for any write; checks the file. */
  async function writeChunks(writer: RestoredChunkWriter, file: string): Promise<void> {
    const count = 24;
    const size = count * CHUNK - 1000; // the last chunk ends in a partial 4 KiB block
    fs.writeFileSync(file, '');
    fs.truncateSync(file, size);
    const expected = Buffer.alloc(size);
    const writes: Promise<void>[] = [];
    for (const i of [5, 0, 23, 2, 11, 7, 1, 3, 4, 6, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]) {
      const length = Math.min(CHUNK, size - i * CHUNK);
      const content = chunkContent(i, length);
      content.copy(expected, i * CHUNK);
      const scratch = await writer.acquire(length);
      content.copy(scratch.buf, 0);
      writes.push(writer.write(file, scratch, length, null, i * CHUNK));
    }
    await Promise.all(writes);
    await writer.close(file);
    expect(fs.readFileSync(file).equals(expected)).toBe(true);
    // Zero blocks were not written: holes (a few blocks of slack: ext4 counts its extent-tree
    // blocks in st_blocks).
    let dataBlocks = 0;
    for (let off = 0; off < size; off += 4096) if (expected.subarray(off, off + 4096).some((x) => x !== 0)) dataBlocks++;
    expect(fs.statSync(file).blocks * 512).toBeLessThanOrEqual((dataBlocks + 8) * 4096);
  }

  it('writes every chunk at its offset, direct and (cheap page cache) buffered alike, with holes for zero blocks', async () => {
    const writer = new RestoredChunkWriter(Infinity); // page-cache writes always count as cheap
    await writeChunks(writer, path.join(tmp.dir, 'cheap.img'));
    expect(writer.chunks.direct).toBeGreaterThan(0);
    expect(writer.chunks.buffered).toBeGreaterThan(0);
    expect(writer.chunks.waited).toBe(0);
  });

  it('waits for a direct slot instead when page-cache writes are measured too dear', async () => {
    const writer = new RestoredChunkWriter(0); // any measured cost is too dear
    await writeChunks(writer, path.join(tmp.dir, 'dear.img'));
    // One buffered write measures the cost; later chunks that find the device busy wait.
    expect(writer.chunks.buffered).toBeGreaterThanOrEqual(1);
    expect(writer.chunks.waited).toBeGreaterThan(0);
    expect(writer.chunks.direct).toBeGreaterThan(writer.chunks.buffered);
  });

  it('reports a write that fails with its errno code and gives its buffer back', async () => {
    const file = path.join(tmp.dir, 'readonly.img');
    fs.writeFileSync(file, '');
    fs.chmodSync(file, 0o400);
    const writer = new RestoredChunkWriter();
    const scratch = await writer.acquire(CHUNK);
    crypto.randomFillSync(scratch.buf);
    const failed = writer.write(file, scratch, CHUNK, null, 0);
    if (process.getuid?.() === 0) {
      // root opens a read-only file anyway: write into a directory path instead.
      await failed;
      const dir = path.join(tmp.dir, 'a-directory');
      fs.mkdirSync(dir);
      const s2 = await writer.acquire(CHUNK);
      await expect(writer.write(dir, s2, CHUNK, null, 0)).rejects.toMatchObject({ code: 'EISDIR' });
    } else {
      await expect(failed).rejects.toBeInstanceOf(ChunkWriteError);
    }
    // Every buffer is free again: as many acquisitions as there are buffers do not wait.
    const again = await Promise.all([writer.acquire(CHUNK), writer.acquire(CHUNK), writer.acquire(CHUNK)]);
    expect(again).toHaveLength(3);
    await writer.close(file);
  });
});
