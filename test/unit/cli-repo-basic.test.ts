import { readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { cli, json, requireBuilt } from './cli-repo-helpers.js';
import { MiB, prng, tempDir } from './repository-helpers.js';

describe('CLI: init, backup-file, snapshots, restore-file', () => {
  const tmp = tempDir('cli-basic');
  const repo = path.join(tmp.dir, 'repo');
  const env = { PERMAFROST_PASSWORD: 'pw-basic' };
  const image = path.join(tmp.dir, 'sparse.img');
  let data: Buffer;

  beforeAll(async () => {
    requireBuilt();
    // 3 MiB random, 24 MiB zeros, 1 MiB random, 4 MiB zeros: a sparse disk.
    data = Buffer.concat([prng(3 * MiB, 'a'), Buffer.alloc(24 * MiB), prng(MiB, 'b'), Buffer.alloc(4 * MiB)]);
    writeFileSync(image, data);
    const r = await cli(['repo', 'init', '--repo', `file://${repo}`, '--json'], env);
    expect(json(r)).toMatchObject({ version: 2 });
  }, 180_000);
  afterAll(() => tmp.cleanup());

  it('backs up a file, lists it and restores it sparse and byte-identical', async () => {
    const b = json(await cli(['backup-file', image, '--repo', repo, '--json', '--tag', 'kind=test'], env));
    expect(b.stream).toMatchObject({ name: 'sparse.img', size: data.length });
    expect(b.snapshot.stats.bytesNew).toBe(4 * MiB); // zero chunks cost nothing
    const list = json(await cli(['snapshots', '--repo', repo, '--json'], env));
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: b.snapshot.id, type: 'file', tags: { kind: 'test' }, streams: ['sparse.img'] });

    const out = path.join(tmp.dir, 'restored.img');
    const r = json(await cli(['restore-file', `${b.snapshot.id.slice(0, 8)}:sparse.img`, '-o', out, '--repo', repo, '--json'], env));
    expect(r.verified).toBe(true);
    expect(readFileSync(out).equals(data)).toBe(true);
    const st = statSync(out);
    expect(st.size).toBe(data.length);
    // Holes: only the 4 MiB of data occupy blocks (allow file-system slack).
    expect(st.blocks * 512).toBeLessThan(6 * MiB);

    const piped = await cli(['restore-file', 'latest', '-o', '-', '--repo', repo], env);
    expect(piped.code).toBe(0);
    expect(piped.stdout.equals(data)).toBe(true);
  }, 300_000);

  it('backs up stdin with the CDC chunker', async () => {
    const input = prng(3 * MiB, 'stdin');
    const b = json(await cli(['backup-file', '-', '--name', 'dump.sql', '--chunker', 'cdc', '--repo', repo, '--json'], env, input));
    const r = await cli(['restore-file', `${b.snapshot.id}:dump.sql`, '-o', '-', '--repo', repo], env);
    expect(r.stdout.equals(input)).toBe(true);
  }, 300_000);

  it('an input the disk cannot read: clear error, exit code 4, no snapshot, for either chunker', async () => {
    const before = json(await cli(['snapshots', '--repo', repo, '--json'], env)).length;
    // /proc/self/mem stats as a regular file; reading the unmapped address 0 fails with EIO. The
    // fixed chunker's reads run in the seal workers, the CDC chunker's on the main thread.
    for (const chunker of ['fixed', 'cdc']) {
      const r = await cli(['backup-file', '/proc/self/mem', '--chunker', chunker, '--repo', repo], env);
      expect(r.code, `${chunker}: ${r.stderr}`).toBe(ExitCode.config);
      expect(r.stderr).toContain('cannot read /proc/self/mem: EIO: i/o error, read — nothing was saved');
      expect(r.stderr).not.toMatch(/internal error/);
    }
    expect(json(await cli(['snapshots', '--repo', repo, '--json'], env))).toHaveLength(before);
  }, 300_000);

  it('wrong password: clear error, exit code 8, nothing written', async () => {
    const before = readdirSync(repo, { recursive: true }).sort();
    const r = await cli(['backup-file', image, '--repo', repo], { PERMAFROST_PASSWORD: 'nope' });
    expect(r.code).toBe(ExitCode.repository);
    expect(r.stderr).toMatch(/wrong password/);
    expect(r.stderr).not.toMatch(/nope/);
    expect(readdirSync(repo, { recursive: true }).sort()).toEqual(before);
    const none = await cli(['snapshots', '--repo', repo], {});
    expect(none.code).toBe(ExitCode.repository);
    expect(none.stderr).toMatch(/PERMAFROST_PASSWORD/);
  }, 300_000);

  it('reads the password from --password-file', async () => {
    const pwFile = path.join(tmp.dir, 'pw');
    writeFileSync(pwFile, 'pw-basic\n');
    expect((await cli(['snapshots', '--repo', repo, '--password-file', pwFile], {})).code).toBe(0);
  }, 300_000);

  it('refuses a repository of a future format version', async () => {
    const other = path.join(tmp.dir, 'future');
    expect((await cli(['repo', 'init', '--repo', other], env)).code).toBe(0);
    const cfg = JSON.parse(readFileSync(path.join(other, 'config'), 'utf8'));
    writeFileSync(path.join(other, 'config'), JSON.stringify({ ...cfg, version: 7 }));
    const r = await cli(['snapshots', '--repo', other], env);
    expect(r.code).toBe(ExitCode.repository);
    expect(r.stderr).toMatch(/format version 7.*upgrade permafrost/);
  }, 300_000);

  it('unknown snapshot → exit 10; missing repository → exit 8', async () => {
    expect((await cli(['restore-file', 'ffffffff', '-o', '-', '--repo', repo], env)).code).toBe(ExitCode.notFound);
    const r = await cli(['snapshots', '--repo', path.join(tmp.dir, 'nothing-here')], env);
    expect(r.code).toBe(ExitCode.repository);
    expect(r.stderr).toMatch(/repo init/);
  }, 300_000);

  it('repo unlock removes a stale lock and names live ones', async () => {
    const lockDir = path.join(repo, 'locks');
    writeFileSync(
      path.join(lockDir, 'stale'),
      JSON.stringify({ version: 1, id: 'stale', exclusive: false, hostname: 'elsewhere', pid: 1, command: 'snapshot (file)', time: '2020-01-01T00:00:00Z', refreshed: '2020-01-01T00:00:00Z' }),
    );
    const r = json(await cli(['repo', 'unlock', '--repo', repo, '--json'], {}));
    expect(r.removed.map((l: { id: string }) => l.id)).toEqual(['stale']);
  }, 300_000);
});
