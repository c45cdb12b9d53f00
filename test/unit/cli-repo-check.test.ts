import { openSync, readSync, writeSync, closeSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { openRepository } from '../../src/repository/index.js';
import { cli, json, requireBuilt } from './cli-repo-helpers.js';
import { MiB, prng, tempDir } from './repository-helpers.js';

describe('CLI: repo check --read-data finds a flipped byte', () => {
  const tmp = tempDir('cli-check');
  const repo = path.join(tmp.dir, 'repo');
  const env = { PERMAFROST_PASSWORD: 'pw-check' };
  let snapshotId: string;

  beforeAll(async () => {
    requireBuilt();
    const file = path.join(tmp.dir, 'vm-disk.img');
    writeFileSync(file, prng(4 * MiB, 'check'));
    expect((await cli(['repo', 'init', '--repo', repo], env)).code).toBe(0);
    snapshotId = json(await cli(['backup-file', file, '--repo', repo, '--json'], env)).snapshot.id;
  }, 180_000);
  afterAll(() => tmp.cleanup());

  it('reports the damaged chunk with the snapshot and stream it affects, exit code 9', async () => {
    expect((await cli(['repo', 'check', '--repo', repo, '--read-data'], env)).code).toBe(0);
    // Flip a byte in the middle of a data chunk (not of the stream map, whose damage a
    // structure-only check rightly reports too): the pack layout is shuffled, so find it by index.
    const opened = await openRepository(repo, { password: env.PERMAFROST_PASSWORD });
    const dataBlob = [...(await opened.index()).entries()].find((b) => b.type === 'data' && b.length > 4096);
    await opened.close();
    expect(dataBlob).toBeDefined();
    const packFile = readdirSync(path.join(repo, 'data'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name === dataBlob!.pack)
      .map((e) => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))[0];
    expect(packFile).toBeDefined();
    const fd = openSync(packFile, 'r+');
    const pos = dataBlob!.offset + Math.floor(dataBlob!.length / 2);
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, pos);
    byte[0] ^= 0x40;
    writeSync(fd, byte, 0, 1, pos);
    closeSync(fd);

    // Structure alone is intact.
    expect((await cli(['repo', 'check', '--repo', repo], env)).code).toBe(0);
    const r = await cli(['repo', 'check', '--repo', repo, '--read-data'], env);
    expect(r.code).toBe(ExitCode.corrupted);
    const out = r.stdout.toString();
    expect(out).toMatch(/error: chunk [0-9a-f]{16}… in pack [0-9a-f]{16}…: .*authentication tag mismatch/);
    expect(out).toContain(`affects snapshot ${snapshotId.slice(0, 8)}, vm-disk.img`);
    const rep = JSON.parse((await cli(['repo', 'check', '--repo', repo, '--read-data=100', '--json'], env)).stdout.toString());
    expect(rep.ok).toBe(false);
    expect(rep.problems[0].affects).toEqual([{ snapshot: snapshotId, stream: 'vm-disk.img' }]);
    // Restoring the damaged stream fails loudly too.
    expect((await cli(['restore-file', 'latest', '-o', '-', '--repo', repo], env)).code).toBe(ExitCode.corrupted);
  }, 300_000);
});
