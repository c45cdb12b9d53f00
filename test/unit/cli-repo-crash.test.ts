import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, json, requireBuilt, spawnCli } from './cli-repo-helpers.js';
import { MiB, prng, tempDir } from './repository-helpers.js';

const count = (dir: string): number => (existsSync(dir) ? readdirSync(dir).length : 0);

describe('CLI: crash in the middle of a backup', () => {
  const tmp = tempDir('cli-crash');
  const repo = path.join(tmp.dir, 'repo');
  const env = { PERMAFROST_PASSWORD: 'pw-crash' };
  const data = prng(24 * MiB, 'crash');
  const file = path.join(tmp.dir, 'data.bin');

  beforeAll(async () => {
    requireBuilt();
    writeFileSync(file, data);
    // 1 MiB packs, so that packs (with their index files) are stored early in the run.
    expect((await cli(['repo', 'init', '--repo', repo, '--pack-size', '1', '--compression', '0'], env)).code).toBe(0);
  }, 180_000);
  afterAll(() => tmp.cleanup());

  it('SIGKILL mid-way leaves no snapshot, check passes, the re-run reuses stored chunks', async () => {
    const child = spawnCli(['backup-file', '-', '--name', 'data.bin', '--repo', repo], env);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.stdin!.on('error', () => undefined);
    // Feed the first half, then keep the pipe open (the backup is "in progress").
    for (let o = 0; o < 12 * MiB; o += MiB) child.stdin!.write(data.subarray(o, o + MiB));
    const deadline = Date.now() + 60_000;
    while (count(path.join(repo, 'index')) < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(count(path.join(repo, 'index'))).toBeGreaterThanOrEqual(4);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    expect(json(await cli(['snapshots', '--repo', repo, '--json'], env))).toEqual([]);
    const check = await cli(['repo', 'check', '--repo', repo, '--read-data'], env);
    expect(check.code).toBe(0);
    expect(check.stdout.toString()).toMatch(/no errors were found/);

    // The killed process's lock is stale (its pid is gone): the re-run is not blocked.
    const rerun = json(await cli(['backup-file', file, '--repo', repo, '--json'], env));
    expect(rerun.snapshot.stats.chunksReused).toBeGreaterThanOrEqual(4);
    expect(rerun.snapshot.stats.chunksNew).toBeLessThanOrEqual(24 - 4);
    const restored = await cli(['restore-file', 'latest', '-o', '-', '--repo', repo], env);
    expect(restored.stdout.equals(data)).toBe(true);
  }, 300_000);
});
