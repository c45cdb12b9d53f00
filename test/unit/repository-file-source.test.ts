// Fixed-chunk backups of a file: the pool's workers read the file themselves (positioned reads into
// the shared ring, zero test, hashing), reading ahead past its end. These tests check that this
// path cuts exactly the chunks the stream path cuts, ends on every kind of file length, builds
// day-2 deltas, and reports a failed read with its errno code.
import { createReadStream, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRepository, initRepository } from '../../src/repository/index.js';
import { streamDigestOf } from '../../streams/stream-digest.js';
import { FAST_SCRYPT, MiB, day2, prng, readAll, source, tempDir } from './repository-helpers.js';

/**
 * Test data with every kind of 1 MiB chunk: all zeros, random, log-like text, and half random
 * half zeros (repository-helpers' diskImage starts with 16 MiB of zeros: too uniform here).
 */
function mixed(size: number, seed: string): Buffer {
  const b = prng(size, seed);
  const line = Buffer.from(`2026-12-03T18:00:00Z host app[42]: request ${seed} ok\n`);
  for (let o = 0, i = 0; o < size; o += MiB, i++) {
    const end = Math.min(o + MiB, size);
    if (i % 4 === 0) b.fill(0, o, end);
    else if (i % 4 === 2) b.fill(line, o, end);
    else if (i % 4 === 3) b.fill(0, o + (end - o) / 2, end);
  }
  return b;
}

describe('fixed-chunk backup of a file read by the workers', () => {
  const tmp = tempDir('file-source');
  const repoDir = path.join(tmp.dir, 'repo');
  const password = 'file source';

  beforeAll(async () => {
    await (await initRepository(repoDir, { password, scrypt: FAST_SCRYPT })).close();
  }, 180_000);
  afterAll(() => tmp.cleanup());

  const fileOf = (name: string, data: Buffer): string => {
    const p = path.join(tmp.dir, name);
    writeFileSync(p, data);
    return p;
  };

  it('cuts the same chunks as the stream path, whatever the file length, and reads back identical', async () => {
    const cases: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['zeros', Buffer.alloc(2 * MiB)],
      ['zero-tail', Buffer.concat([mixed(2 * MiB, 'zero-tail'), Buffer.alloc(2 * MiB + 5)])],
      ['exact', mixed(16 * MiB, 'exact')],
      ['ragged', mixed(9 * MiB + 77, 'ragged')],
      ['small', mixed(5000, 'small')],
    ];
    const repo = await openRepository(repoDir, { password });
    try {
      for (const [name, data] of cases) {
        const fromFile = await repo.startSnapshot({ type: 'file' });
        const result = await fromFile.writeStream(name, createReadStream(fileOf(`${name}.img`, data)));
        expect(result).toMatchObject({ size: data.length, sha256: streamDigestOf('sha256-b4k', data) });
        const snap = await fromFile.commit();
        expect((await readAll(await repo.readStream(snap.id, name))).equals(data)).toBe(true);
        // The same bytes as a plain stream: every chunk is already stored, under the same ID.
        const fromStream = await repo.startSnapshot({ type: 'file' });
        const again = await fromStream.writeStream(`${name}-stream`, source(data, 100_000));
        expect(again.sha256).toBe(result.sha256);
        const snap2 = await fromStream.commit();
        expect(snap2.stats.chunksNew).toBe(0);
        expect(snap2.stats.bytesRead).toBe(data.length);
      }
    } finally {
      await repo.close();
    }
  }, 300_000);

  it('without a parent, seals chunks with their read while they are new, stores a repeated chunk once, and stops guessing on stored data', async () => {
    // 1 MiB chunks: 12 of them, then the first 4 again (duplicates within the stream).
    const distinct = mixed(12 * MiB, 'guess');
    const data = Buffer.concat([distinct, distinct.subarray(0, 4 * MiB)]);
    const repo = await openRepository(repoDir, { password });
    try {
      const w1 = await repo.startSnapshot({ type: 'file', tags: { disk: 'guess' } });
      const r1 = await w1.writeStream('guess', createReadStream(fileOf('guess.img', data)));
      const s1 = await w1.commit();
      expect(s1.parent).toBeUndefined();
      expect(r1.sha256).toBe(streamDigestOf('sha256-b4k', data));
      // Of the 12 chunks of `distinct`, 3 are zeros and the 3 text chunks are the same: 7 new.
      // Reused: the 2 text repeats, then the data chunks among the first 4 again (random,
      // text, half zeros).
      expect(s1.stats.chunksNew).toBe(7);
      expect(s1.stats.chunksReused).toBe(5);
      expect((await readAll(await repo.readStream(s1.id, 'guess'))).equals(data)).toBe(true);
      // The same file under another name (no parent): every chunk is stored already.
      const w2 = await repo.startSnapshot({ type: 'file', tags: { disk: 'guess-copy' } });
      await w2.writeStream('guess-copy', createReadStream(fileOf('guess-copy.img', data)));
      const s2 = await w2.commit();
      expect(s2.stats.chunksNew).toBe(0);
      expect((await readAll(await repo.readStream(s2.id, 'guess-copy'))).equals(data)).toBe(true);
    } finally {
      await repo.close();
    }
  }, 300_000);

  it('stores a day-2 file as sub-block deltas against the parent snapshot', async () => {
    const day1 = mixed(12 * MiB, 'file-day1');
    const next = day2(day1, 30, 'file-day2');
    const repo = await openRepository(repoDir, { password });
    try {
      const w1 = await repo.startSnapshot({ type: 'file', tags: { disk: 'delta' } });
      await w1.writeStream('disk', createReadStream(fileOf('day1.img', day1)));
      const s1 = await w1.commit();
      const w2 = await repo.startSnapshot({ type: 'file', tags: { disk: 'delta' } });
      await w2.writeStream('disk', createReadStream(fileOf('day2.img', next)));
      const s2 = await w2.commit();
      expect(s2.parent).toBe(s1.id);
      expect(s2.stats.bytesStored).toBeLessThan(300 * 1024);
      expect((await readAll(await repo.readStream(s2.id, 'disk'))).equals(next)).toBe(true);
    } finally {
      await repo.close();
    }
  }, 300_000);

  it('fails with the errno code of a read the file refuses, and the pool stays usable', async () => {
    const repo = await openRepository(repoDir, { password });
    try {
      // /proc/self/mem is a regular file to stat, but reading the unmapped address 0 fails (EIO).
      const w = await repo.startSnapshot({ type: 'file' });
      const err = await w.writeStream('mem', createReadStream('/proc/self/mem')).then(
        () => undefined,
        (e: unknown) => e as NodeJS.ErrnoException,
      );
      expect(err?.code).toBe('EIO');
      const data = mixed(3 * MiB, 'after-failure');
      const w2 = await repo.startSnapshot({ type: 'file' });
      await w2.writeStream('after', createReadStream(fileOf('after.img', data)));
      const s = await w2.commit();
      expect((await readAll(await repo.readStream(s.id, 'after'))).equals(data)).toBe(true);
    } finally {
      await repo.close();
    }
  }, 300_000);
});
