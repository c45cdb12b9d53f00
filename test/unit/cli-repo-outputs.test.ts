// User-caused failures end with their documented exit code and a message, never "internal error",
// and leave no half-written output: restore-file -o, export -o, import of a bad bundle; tmp/
// debris of killed writes is removed by the next command that takes the lock; prune --dry-run
// predicts what prune then does.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { cli, json, requireBuilt } from './cli-repo-helpers.js';
import { MiB, prng, tempDir } from './repository-helpers.js';
import { buildFixture, dataBlobOf, ENV, flipByte, fresh, type Fixture } from './repo-damage-helpers.js';

describe('CLI: outputs and user-caused failures', () => {
  const tmp = tempDir('cli-outputs');
  let f: Fixture;

  beforeAll(async () => {
    requireBuilt();
    f = await buildFixture(tmp.dir);
  }, 180_000);
  afterAll(() => tmp.cleanup());

  it('a failed restore-file -o leaves the previous file untouched and no temporary file', async () => {
    const repo = fresh(f);
    const [, second] = f.files;
    const blob = await dataBlobOf(repo, second.snapshot);
    flipByte(blob.packFile, blob.offset + 100);
    const outDir = path.join(tmp.dir, 'out');
    mkdirSync(outDir);
    const target = path.join(outDir, 'disk.img');
    writeFileSync(target, 'the previous, good content');
    const r = await cli(['restore-file', second.snapshot, '-o', target, '--repo', repo], ENV);
    expect(r.code).toBe(ExitCode.corrupted);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(readFileSync(target, 'utf8')).toBe('the previous, good content');
    expect(readdirSync(outDir)).toEqual(['disk.img']);
    // Into a folder that does not exist: exit 4, a message, nothing written.
    const missing = await cli(['restore-file', f.files[0].snapshot, '-o', path.join(outDir, 'nope', 'x.img'), '--repo', f.repo], ENV);
    expect(missing.code).toBe(ExitCode.config);
    expect(missing.stderr).toMatch(/cannot write .*nope\/x\.img/);
  }, 120_000);

  it('export -o to an unwritable place exits 4 with a message; import of random or cut bundles exits 2', async () => {
    const bad = await cli(['export', 'latest', '-o', path.join(tmp.dir, 'no-such-dir', 'b.tar'), '--repo', f.repo], ENV);
    expect(bad.code).toBe(ExitCode.config);
    expect(bad.stderr).toMatch(/cannot write .*b\.tar/);
    expect(bad.stderr).not.toMatch(/internal error|Unhandled|at .*\.js:\d+/);

    const bundle = path.join(tmp.dir, 'b.tar');
    expect((await cli(['export', 'latest', '-o', bundle, '--repo', f.repo], ENV)).code).toBe(0);
    expect(readdirSync(tmp.dir).filter((n) => n.includes('.partial'))).toEqual([]);
    const target = path.join(tmp.dir, 'import-target');
    expect((await cli(['repo', 'init', '--repo', target], ENV)).code).toBe(0);
    const whole = readFileSync(bundle);
    const cut = path.join(tmp.dir, 'cut.tar');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const random = path.join(tmp.dir, 'random.tar');
    writeFileSync(random, prng(200_000, 'random bundle'));
    for (const input of [cut, random]) {
      const r = await cli(['import', '-i', input, '--repo', target], { ...ENV, PERMAFROST_BUNDLE_PASSWORD: ENV.PERMAFROST_PASSWORD });
      expect(r.code).toBe(ExitCode.usage);
      expect(r.stderr).toMatch(/not a permafrost bundle|truncated/);
      expect(r.stderr).not.toMatch(/internal error/);
    }
    const ok = await cli(['import', '-i', bundle, '--repo', target], { ...ENV, PERMAFROST_BUNDLE_PASSWORD: ENV.PERMAFROST_PASSWORD });
    expect(ok.code).toBe(0);
    expect(json(await cli(['snapshots', '--repo', target, '--json'], ENV))).toHaveLength(1);
  }, 180_000);

  it('tmp/*.tmp debris older than an hour is removed by the next command that takes the lock; fresh files stay', async () => {
    const repo = fresh(f);
    mkdirSync(path.join(repo, 'tmp'), { recursive: true });
    const old = path.join(repo, 'tmp', '0123456789abcdef.tmp');
    const recent = path.join(repo, 'tmp', 'fedcba9876543210.tmp');
    writeFileSync(old, prng(1000, 'old'));
    writeFileSync(recent, prng(1000, 'recent'));
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(old, twoHoursAgo, twoHoursAgo);
    expect((await cli(['backup-file', f.files[0].path, '--repo', repo], ENV)).code).toBe(0);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
  }, 120_000);

  it('prune --dry-run predicts the size prune then leaves (repacked packs included)', async () => {
    const repo = path.join(tmp.dir, 'prune-repo');
    expect((await cli(['repo', 'init', '--repo', repo], ENV)).code).toBe(0);
    const a = prng(6 * MiB, 'prune-a');
    const b = Buffer.concat([prng(3 * MiB, 'prune-b'), a.subarray(3 * MiB)]);
    const fileA = path.join(tmp.dir, 'prune-a.img');
    const fileB = path.join(tmp.dir, 'prune-b.img');
    writeFileSync(fileA, a);
    writeFileSync(fileB, b);
    const snapA = json(await cli(['backup-file', fileA, '--repo', repo, '--json'], ENV)).snapshot.id as string;
    expect((await cli(['backup-file', fileB, '--repo', repo, '--json'], ENV)).code).toBe(0);
    rmSync(path.join(repo, 'snapshots', snapA)); // what forget does to one snapshot
    const dry = json(await cli(['prune', '--dry-run', '--json', '--repo', repo], ENV));
    expect(dry.packsRepacked).toBeGreaterThan(0);
    const real = json(await cli(['prune', '--json', '--repo', repo], ENV));
    expect(real.packsRepacked).toBe(dry.packsRepacked);
    expect(Math.abs(dry.bytesAfter - real.bytesAfter)).toBeLessThan(16 * 1024);
    expect(real.bytesAfter).toBeGreaterThan(3 * MiB);
  }, 180_000);
});
