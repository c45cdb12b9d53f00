// The block-digest path (PERMAFROST_DIGEST_PATH, streams/native.ts) changes nothing a repository
// records: the same input backed up under each path into one repository gives the same stream
// digest, and every chunk of the later backups is found already stored (same chunk IDs).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableDigestPaths } from '../../streams/native.js';
import { cleanEnv, cli, json, requireBuilt, ROOT } from './cli-repo-helpers.js';
import { MiB, prng, tempDir } from './repository-helpers.js';

/** 3 MiB + 5 blocks + 100 bytes of random data, zero runs and text, so every chunk kind occurs. */
function image(): Buffer {
  const data = prng(3 * MiB + 5 * 4096 + 100, 'digest-paths');
  data.fill(0, MiB, MiB + 300 * 1024); // zero blocks inside a chunk, and a whole zero chunk below
  data.fill(0, 2 * MiB, 3 * MiB);
  data.write('2026-12-07 03:00:00 INFO backup started\n'.repeat(100), 12_345, 'latin1');
  return data;
}

/** The path the built program takes under PERMAFROST_DIGEST_PATH=`forced`. */
function pathTaken(forced: string): string {
  const script = `const m = await import(${JSON.stringify(path.join(ROOT, 'dist/streams/native.js'))}); console.log(m.activeDigestPath());`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: cleanEnv({ PERMAFROST_DIGEST_PATH: forced }), encoding: 'utf8' }).trim();
}

describe('block-digest paths', () => {
  const tmp = tempDir('digest-paths');
  beforeAll(() => requireBuilt());
  afterAll(() => tmp.cleanup());

  it('record the same chunk IDs and stream digest for the same input', async () => {
    const paths = availableDigestPaths();
    expect(paths).toEqual(expect.arrayContaining(['openssl', 'node']));
    const repo = path.join(tmp.dir, 'repo');
    const file = path.join(tmp.dir, 'disk.img');
    writeFileSync(file, image());
    const env = { PERMAFROST_PASSWORD: 'digest-paths' };
    expect((await cli(['repo', 'init', '--repo', repo], env)).code).toBe(0);
    const results = [];
    for (const digestPath of paths) {
      expect(pathTaken(digestPath)).toBe(digestPath);
      const r = await cli(['backup-file', file, '--repo', repo, '--name', 'disk', '--chunker', 'fixed', '--json'], { ...env, PERMAFROST_DIGEST_PATH: digestPath });
      expect(r.code, `${digestPath}: ${r.stderr}`).toBe(0);
      results.push({ digestPath, ...json(r) });
    }
    const [first, ...later] = results;
    expect(first.snapshot.stats.chunksNew).toBeGreaterThan(0);
    for (const r of later) {
      expect(r.stream.sha256, r.digestPath).toBe(first.stream.sha256);
      expect(r.snapshot.stats.chunksNew, r.digestPath).toBe(0);
      expect(r.snapshot.stats.bytesNew, r.digestPath).toBe(0);
      expect(r.snapshot.stats.chunksReused, r.digestPath).toBe(first.snapshot.stats.chunksNew + first.snapshot.stats.chunksReused);
    }
  }, 120_000);

  it('a forced path that does not exist stops the program with exit code 4 and names the choices', async () => {
    const r = await cli(['repo', 'init', '--repo', path.join(tmp.dir, 'never')], { PERMAFROST_PASSWORD: 'x', PERMAFROST_DIGEST_PATH: 'sha-ni' });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/PERMAFROST_DIGEST_PATH="sha-ni" is not a block-digest path: use one of avx512, shani, openssl, node/);
  });
});
