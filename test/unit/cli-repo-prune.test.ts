import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, json, requireBuilt } from './cli-repo-helpers.js';
import { MiB, prng, tempDir } from './repository-helpers.js';

function dataBytes(repo: string): number {
  return readdirSync(path.join(repo, 'data'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((n, e) => n + statSync(path.join(e.parentPath, e.name)).size, 0);
}

describe('CLI: forget --prune', () => {
  const tmp = tempDir('cli-prune');
  const repo = path.join(tmp.dir, 'repo');
  const env = { PERMAFROST_PASSWORD: 'pw-prune' };
  const f = path.join(tmp.dir, 'db.dump');
  const versions = [0, 1, 2].map((i) => Buffer.concat([prng(2 * MiB, 'shared'), prng(2 * MiB, `v${i}`)]));

  beforeAll(async () => {
    requireBuilt();
    expect((await cli(['repo', 'init', '--repo', repo, '--pack-size', '1'], env)).code).toBe(0);
    for (const v of versions) {
      writeFileSync(f, v);
      expect((await cli(['backup-file', f, '--repo', repo, '--chunker', 'cdc'], env)).code).toBe(0);
    }
  }, 180_000);
  afterAll(() => tmp.cleanup());

  it('dry run changes nothing; forget --keep-last 1 --prune frees space and keeps restores correct', async () => {
    const before = dataBytes(repo);
    const dry = json(await cli(['forget', '--keep-last', '1', '--dry-run', '--json', '--repo', repo], env));
    expect(dry.groups[0].remove).toHaveLength(2);
    expect(json(await cli(['snapshots', '--json', '--repo', repo], env))).toHaveLength(3);

    const res = json(await cli(['forget', '--keep-last', '1', '--prune', '--json', '--repo', repo], env));
    expect(res.groups[0].keep).toHaveLength(1);
    expect(res.prune.bytesFreed).toBeGreaterThan(3 * MiB);
    expect(dataBytes(repo)).toBeLessThan(before - 3 * MiB);
    expect(json(await cli(['snapshots', '--json', '--repo', repo], env))).toHaveLength(1);
    const restored = await cli(['restore-file', 'latest', '-o', '-', '--repo', repo], env);
    expect(restored.stdout.equals(versions[2])).toBe(true);
    expect((await cli(['repo', 'check', '--read-data', '--repo', repo], env)).code).toBe(0);
    // Nothing left to do the second time.
    expect(json(await cli(['prune', '--json', '--repo', repo], env))).toMatchObject({ packsDeleted: 0, packsRepacked: 0 });
  }, 300_000);
});
