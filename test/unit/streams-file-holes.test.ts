// Sparse input files: HoleMap (streams/file-holes.ts) names the chunks that lie wholly in a hole,
// and a backup that skips them records exactly what reading them would have (same chunk IDs, same
// stream digest, nothing new stored), for holes at the start, in the middle and at the end.
import { closeSync, openSync, writeSync, ftruncateSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HoleMap } from '../../streams/file-holes.js';
import { nativeDataExtent } from '../../streams/native.js';
import { cli, json, requireBuilt } from './cli-repo-helpers.js';
import { prng, tempDir } from './repository-helpers.js';

const MiB = 1 << 20;

/** A sparse file of `size` bytes with data (random) only in `extents` ([offset, length] pairs). */
function sparseFile(file: string, size: number, extents: [number, number][]): Buffer {
  const expected = Buffer.alloc(size);
  const fd = openSync(file, 'w');
  try {
    ftruncateSync(fd, size);
    for (const [off, len] of extents) {
      const data = prng(len, `extent@${off}`);
      writeSync(fd, data, 0, len, off);
      data.copy(expected, off);
    }
  } finally {
    closeSync(fd);
  }
  return expected;
}

describe('sparse input files', () => {
  const tmp = tempDir('holes');
  beforeAll(() => requireBuilt());
  afterAll(() => tmp.cleanup());

  it('the addon is there to find holes', () => {
    expect(nativeDataExtent).toBeDefined();
  });

  it.runIf(nativeDataExtent !== undefined)('names the chunks that lie wholly in a hole, with their length at the end of the file', () => {
    const file = path.join(tmp.dir, 'map.img');
    // data at [1 MiB + 4 KiB, 1 MiB + 8 KiB) and [5 MiB, 6 MiB); size 7 MiB + 100 bytes
    sparseFile(file, 7 * MiB + 100, [[MiB + 4096, 4096], [5 * MiB, MiB]]);
    const fd = openSync(file, 'r');
    try {
      const map = HoleMap.of(fd)!;
      const chunks = [];
      for (let pos = 0; pos < 9 * MiB; pos += MiB) chunks.push(map.holeChunk(pos, MiB));
      // 0: hole; 1: data; 2-4: holes; 5: data; 6: trailing hole of 1 MiB; 7: the last 100 bytes; 8: past the end
      expect(chunks).toEqual([MiB, undefined, MiB, MiB, MiB, undefined, MiB, 100, 0]);
    } finally {
      closeSync(fd);
    }
    // Not a regular file: no map (every chunk is read).
    const dev = openSync('/dev/zero', 'r');
    try {
      expect(HoleMap.of(dev)).toBeUndefined();
    } finally {
      closeSync(dev);
    }
  });

  it('a backup that skips the holes stores and records what reading them would have', async () => {
    const repo = path.join(tmp.dir, 'repo');
    const env = { PERMAFROST_PASSWORD: 'holes' };
    expect((await cli(['repo', 'init', '--repo', repo], env)).code).toBe(0);
    const cases: [string, number, [number, number][]][] = [
      ['leading-hole', 6 * MiB, [[3 * MiB + 12288, 2 * MiB]]],
      ['trailing-hole', 5 * MiB + 4096 * 3 + 17, [[0, MiB + 5], [2 * MiB, 4096]]],
      ['all-hole', 3 * MiB + 1, []],
      ['no-hole', 2 * MiB + 7, [[0, 2 * MiB + 7]]],
    ];
    for (const [name, size, extents] of cases) {
      const file = path.join(tmp.dir, `${name}.img`);
      const expected = sparseFile(file, size, extents);
      // First without the addon (every byte read), then with it (holes skipped): the second finds
      // every chunk already stored and records the same stream digest.
      const plain = await cli(['backup-file', file, '--repo', repo, '--name', name, '--json'], { ...env, PERMAFROST_NATIVE: '0' });
      expect(plain.code, plain.stderr).toBe(0);
      const sparse = await cli(['backup-file', file, '--repo', repo, '--name', name, '--json'], env);
      expect(sparse.code, sparse.stderr).toBe(0);
      const a = json(plain);
      const b = json(sparse);
      expect(b.snapshot.stats.bytesNew).toBe(0);
      expect(b.stream.size).toBe(size);
      expect(b.stream.sha256).toBe(a.stream.sha256);
      const out = path.join(tmp.dir, `${name}.out`);
      const r = await cli(['restore-file', `latest:${name}`, '--repo', repo, '-o', out], env);
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(out).equals(expected)).toBe(true);
    }
  }, 120_000);
});
