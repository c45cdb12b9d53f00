import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, json, requireBuilt, shell } from './cli-repo-helpers.js';
import { MiB, day2, diskImage, tempDir } from './repository-helpers.js';

describe('CLI: bundle export | import through a pipe', () => {
  const tmp = tempDir('cli-bundle');
  const a = path.join(tmp.dir, 'repo-a');
  const b = path.join(tmp.dir, 'repo-b');
  const img1 = diskImage(12 * MiB, 'bundle');
  const img2 = day2(img1, 30, 'bundle-2');

  beforeAll(async () => {
    requireBuilt();
    expect((await cli(['repo', 'init', '--repo', a], { PERMAFROST_PASSWORD: 'pw-a' })).code).toBe(0);
    expect((await cli(['repo', 'init', '--repo', b], { PERMAFROST_PASSWORD: 'pw-b' })).code).toBe(0);
  }, 180_000);
  afterAll(() => tmp.cleanup());

  it('moves a delta snapshot between repositories with different passwords, byte-identical', async () => {
    const f = path.join(tmp.dir, 'disk.img');
    writeFileSync(f, img1);
    expect((await cli(['backup-file', f, '--repo', a], { PERMAFROST_PASSWORD: 'pw-a' })).code).toBe(0);
    writeFileSync(f, img2);
    const second = json(await cli(['backup-file', f, '--repo', a, '--json'], { PERMAFROST_PASSWORD: 'pw-a' }));
    expect(second.snapshot.parent).toBeDefined();

    const node = process.execPath;
    const r = await shell(
      `PERMAFROST_PASSWORD=pw-a "${node}" "${BIN}" export ${second.snapshot.id.slice(0, 12)} --repo "${a}" | ` +
        `PERMAFROST_PASSWORD=pw-b PERMAFROST_BUNDLE_PASSWORD=pw-a "${node}" "${BIN}" import --repo "${b}" --json`,
    );
    expect(r.code, r.stderr).toBe(0);
    const imported = JSON.parse(r.stdout.toString());
    expect(imported.streams).toEqual(['disk.img']);
    expect(imported.time).toBe(second.snapshot.time);

    const restored = await cli(['restore-file', `${imported.id}:disk.img`, '-o', '-', '--repo', b], { PERMAFROST_PASSWORD: 'pw-b' });
    expect(restored.code).toBe(0);
    expect(restored.stdout.equals(img2)).toBe(true);
    expect((await cli(['repo', 'check', '--repo', b, '--read-data'], { PERMAFROST_PASSWORD: 'pw-b' })).code).toBe(0);
  }, 300_000);

  it('a wrong bundle password imports nothing', async () => {
    const r = await shell(
      `PERMAFROST_PASSWORD=pw-a "${process.execPath}" "${BIN}" export latest --repo "${a}" | ` +
        `PERMAFROST_PASSWORD=pw-b PERMAFROST_BUNDLE_PASSWORD=wrong "${process.execPath}" "${BIN}" import --repo "${b}"`,
    );
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/bundle password is wrong/);
    expect(json(await cli(['snapshots', '--repo', b, '--json'], { PERMAFROST_PASSWORD: 'pw-b' }))).toHaveLength(1);
  }, 300_000);

  it('export -o FILE --json prints its result as one JSON document on stdout, and the file imports', async () => {
    const file = path.join(tmp.dir, 'latest.bundle');
    const run = await cli(['export', 'latest', '--repo', a, '-o', file, '--json'], { PERMAFROST_PASSWORD: 'pw-a' });
    expect(run.code, run.stderr.toString()).toBe(0);
    const report = json(run);
    expect(report.streams).toBe(1);
    expect(report.blobs).toBeGreaterThan(0);
    expect(report.bytes).toBeGreaterThan(0);
    const r = await shell(`PERMAFROST_PASSWORD=pw-b PERMAFROST_BUNDLE_PASSWORD=pw-a "${process.execPath}" "${BIN}" import --repo "${b}" --json < "${file}"`);
    expect(r.code, r.stderr.toString()).toBe(0);
    expect(JSON.parse(r.stdout.toString()).streams).toEqual(['disk.img']);
  }, 300_000);
});
