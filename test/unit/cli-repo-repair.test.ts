// Damage each kind of repository file through the real CLI and show that `repo check` names it
// (exit 9; 8 when the keys prevent opening) and that the `repo repair` commands bring the
// repository back: `check --read-data` clean, every undamaged snapshot restores byte-identical.
import { existsSync, readFileSync, rmSync, truncateSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { openRepository } from '../../src/repository/index.js';
import { cli, json, requireBuilt } from './cli-repo-helpers.js';
import { tempDir } from './repository-helpers.js';
import { buildFixture, dataBlobOf, editText, ENV, expectCheckClean, expectRestores, filesUnder, flipByte, fresh, type Fixture } from './repo-damage-helpers.js';

const check = async (repo: string, ...extra: string[]): Promise<{ code: number | null; out: string }> => {
  const r = await cli(['repo', 'check', '--repo', repo, ...extra], ENV);
  return { code: r.code, out: r.stdout.toString() + r.stderr };
};
const repair = async (repo: string, what: string): Promise<string> => {
  const r = await cli(['repo', 'repair', what, '--repo', repo], ENV);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.code).toBe(0);
  return r.stdout.toString();
};

describe('CLI: repo check and repo repair on a damaged repository', () => {
  const tmp = tempDir('cli-repair');
  let f: Fixture;
  let first: Fixture['files'][number];
  let second: Fixture['files'][number];

  beforeAll(async () => {
    requireBuilt();
    f = await buildFixture(tmp.dir);
    [first, second] = f.files;
  }, 180_000);
  afterAll(() => tmp.cleanup());

  it('every pack ends with a trailer; the pristine repository checks clean', async () => {
    for (const pack of filesUnder(f.repo, 'data')) expect(readFileSync(pack).subarray(-4).toString('latin1')).toBe('PFT2');
    expect(JSON.parse(readFileSync(path.join(f.repo, 'config'), 'utf8')).version).toBe(2);
    await expectCheckClean(f.repo);
  }, 60_000);

  it('a flipped byte in an index file: check names it, repair index rebuilds it from the pack', async () => {
    const repo = fresh(f);
    const { pack } = await dataBlobOf(repo, second.snapshot);
    flipByte(path.join(repo, 'index', pack), 40);
    const c = await check(repo);
    expect(c.code).toBe(ExitCode.corrupted);
    expect(c.out).toContain(`index/${pack}`);
    // The other snapshot's data is still readable meanwhile.
    await expectRestores(repo, first.snapshot, first.path);
    expect(await repair(repo, 'index')).toMatch(/1 rebuilt from their packs/);
    await expectCheckClean(repo);
    await expectRestores(repo, second.snapshot, second.path);
  }, 120_000);

  it('the whole index/ deleted: repair index rebuilds it and both snapshots restore byte-identical', async () => {
    const repo = fresh(f);
    const packs = filesUnder(repo, 'data').length;
    rmSync(path.join(repo, 'index'), { recursive: true });
    expect((await check(repo)).code).toBe(ExitCode.corrupted);
    expect(await repair(repo, 'index')).toContain(`${packs} packs: 0 index files intact, ${packs} rebuilt`);
    await expectCheckClean(repo);
    await expectRestores(repo, first.snapshot, first.path);
    await expectRestores(repo, second.snapshot, second.path);
  }, 120_000);

  it('a flipped byte in a pack: check --read-data names it; repair packs + snapshots drop only what was lost', async () => {
    const repo = fresh(f);
    const blob = await dataBlobOf(repo, second.snapshot);
    flipByte(blob.packFile, blob.offset + Math.floor(blob.length / 2));
    const c = await check(repo, '--read-data');
    expect(c.code).toBe(ExitCode.corrupted);
    expect(c.out).toContain(`pack ${blob.pack.slice(0, 16)}`);
    expect(c.out).toContain(`affects snapshot ${second.snapshot.slice(0, 8)}, second.img`);
    expect(await repair(repo, 'packs')).toMatch(/lost 1/);
    expect(await repair(repo, 'snapshots')).toContain(`snapshot ${second.snapshot.slice(0, 8)} removed`);
    await expectCheckClean(repo);
    await expectRestores(repo, first.snapshot, first.path);
    const list = json(await cli(['snapshots', '--repo', repo, '--json'], ENV)) as { id: string }[];
    expect(list.map((s) => s.id)).toEqual([first.snapshot]);
    expect(existsSync(path.join(repo, 'lost', 'snapshots', second.snapshot))).toBe(true);
  }, 180_000);

  it('a truncated pack: check names it; repair packs salvages the blobs before the cut', async () => {
    const repo = fresh(f);
    const blob = await dataBlobOf(repo, second.snapshot);
    truncateSync(blob.packFile, Math.floor(statSync(blob.packFile).size / 2));
    const c = await check(repo);
    expect(c.code).toBe(ExitCode.corrupted);
    expect(c.out).toContain(`pack ${blob.pack.slice(0, 16)}… has`);
    expect(await repair(repo, 'packs')).toMatch(/cut short/);
    await repair(repo, 'snapshots');
    await expectCheckClean(repo);
    await expectRestores(repo, first.snapshot, first.path);
  }, 180_000);

  it('a deleted pack: restore exits 9 naming it; repair index + snapshots make the repository clean', async () => {
    const repo = fresh(f);
    const blob = await dataBlobOf(repo, second.snapshot);
    unlinkSync(blob.packFile);
    const r = await cli(['restore-file', second.snapshot, '-o', path.join(tmp.dir, 'never.img'), '--repo', repo], ENV);
    expect(r.code).toBe(ExitCode.corrupted);
    expect(r.stderr).toContain(`pack ${blob.pack.slice(0, 16)}… is listed in the index but missing`);
    expect(existsSync(path.join(tmp.dir, 'never.img'))).toBe(false);
    const c = await check(repo);
    expect(c.code).toBe(ExitCode.corrupted);
    expect(c.out).toContain('is listed in the index but missing');
    expect(await repair(repo, 'index')).toContain(`moved the index of missing pack ${blob.pack.slice(0, 16)}`);
    await repair(repo, 'snapshots');
    await expectCheckClean(repo);
    await expectRestores(repo, first.snapshot, first.path);
  }, 180_000);

  it('a snapshot file with broken JSON is named and skipped; the others stay usable; repair moves it aside', async () => {
    const repo = fresh(f);
    writeFileSync(path.join(repo, 'snapshots', first.snapshot), '{"format": "permafrost-snap');
    const list = await cli(['snapshots', '--repo', repo, '--json'], ENV);
    expect(list.code).toBe(0);
    expect(list.stderr).toContain(`snapshots/${first.snapshot}`);
    expect((JSON.parse(list.stdout.toString()) as { id: string }[]).map((s) => s.id)).toEqual([second.snapshot]);
    await expectRestores(repo, 'latest', second.path);
    const c = await check(repo);
    expect(c.code).toBe(ExitCode.corrupted);
    expect(c.out).toContain(`snapshots/${first.snapshot}`);
    expect(c.out).toMatch(/checked 1 snapshots/);
    // prune refuses: the skipped snapshot's data would look unused.
    const p = await cli(['prune', '--repo', repo], ENV);
    expect(p.code).toBe(ExitCode.corrupted);
    expect(p.stderr).toContain('nothing was deleted');
    expect(await repair(repo, 'snapshots')).toContain(`snapshot ${first.snapshot.slice(0, 8)} removed`);
    await expectCheckClean(repo);
    expect((await cli(['prune', '--repo', repo], ENV)).code).toBe(0);
    await expectRestores(repo, second.snapshot, second.path);
  }, 180_000);

  it("a damaged wrapped data key in a snapshot: check names it; repair snapshots restores it from the pack index's copy", async () => {
    const repo = fresh(f);
    const file = path.join(repo, 'snapshots', second.snapshot);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    const wrap = doc.deks[doc.dek][0];
    wrap.wrapped = `${wrap.wrapped.slice(0, 100)}${wrap.wrapped[100] === 'A' ? 'B' : 'A'}${wrap.wrapped.slice(101)}`;
    writeFileSync(file, JSON.stringify(doc));
    const r = await cli(['restore-file', second.snapshot, '-o', path.join(tmp.dir, 'never2.img'), '--repo', repo], ENV);
    expect(r.code).toBe(ExitCode.corrupted);
    expect(r.stderr).toMatch(/wrapped data key .* is damaged/);
    const c = await check(repo, '--read-data');
    expect(c.code).toBe(ExitCode.corrupted);
    expect(c.out).toContain(`wrapped data key ${doc.dek.slice(0, 8)} in snapshots/${second.snapshot} is damaged`);
    expect(await repair(repo, 'snapshots')).toContain('damaged data key replaced by an intact copy');
    await expectCheckClean(repo);
    await expectRestores(repo, second.snapshot, second.path);
  }, 180_000);

  it('a damaged keys/recipients: backup-file exits 9 with a message, check names it, repair keys rewrites it', async () => {
    const repo = fresh(f);
    flipByte(path.join(repo, 'keys', 'recipients'), 30);
    const b = await cli(['backup-file', first.path, '--repo', repo], ENV);
    expect(b.code).toBe(ExitCode.corrupted);
    expect(b.stderr).toContain('keys/recipients');
    expect(b.stderr).not.toMatch(/internal error/);
    const c = await check(repo);
    expect(c.code).toBe(ExitCode.corrupted);
    expect(c.out).toContain('keys/recipients');
    expect(await repair(repo, 'keys')).toContain('rewrote keys/recipients');
    expect((await cli(['backup-file', first.path, '--repo', repo], ENV)).code).toBe(0);
    await expectCheckClean(repo);
  }, 180_000);

  it('a damaged key slot is reported as damaged, not as a wrong password (exit 8); with a second password check names it and repair keys removes it', async () => {
    const repo = fresh(f);
    const [slot] = filesUnder(repo, 'keys').filter((k) => !k.endsWith('recipients'));
    const box = JSON.parse(readFileSync(slot, 'utf8')).box as string;
    editText(slot, box.slice(20, 30), box.slice(20, 30).split('').reverse().join(''));
    const r = await cli(['snapshots', '--repo', repo], ENV);
    expect(r.code).toBe(ExitCode.repository);
    expect(r.stderr).toMatch(/key slots .* are damaged: keys\/[0-9a-f]+ \(its checksum does not match\)/);
    expect(r.stderr).not.toMatch(/wrong password/);

    const repo2 = fresh(f);
    const added = await cli(['repo', 'key', 'add', '--repo', repo2], { ...ENV, PERMAFROST_NEW_PASSWORD: 'second-pw' });
    expect(added.code).toBe(0);
    const [original] = filesUnder(repo2, 'keys').filter((k) => path.basename(k) === path.basename(slot));
    writeFileSync(original, '{ "version": 2, "kind": "passph');
    // The damaged slot held the first password: it opens nothing now (exit 8, "damaged").
    expect((await check(repo2)).out).toMatch(/key slot\(s\) are damaged/);
    const c = await cli(['repo', 'check', '--repo', repo2], { PERMAFROST_PASSWORD: 'second-pw' });
    expect(c.code).toBe(ExitCode.corrupted);
    expect(c.stdout.toString()).toContain(`key slot keys/${path.basename(slot)} is damaged (not valid JSON)`);
    const other = await cli(['snapshots', '--repo', repo2], { PERMAFROST_PASSWORD: 'second-pw' });
    expect(other.code).toBe(0);
    const wrong = await cli(['snapshots', '--repo', repo2], { PERMAFROST_PASSWORD: 'not-it' });
    expect(wrong.code).toBe(ExitCode.repository);
    expect(wrong.stderr).toMatch(/wrong password.*1 key slot\(s\) are damaged/);
    const fixed = await cli(['repo', 'repair', 'keys', '--repo', repo2], { PERMAFROST_PASSWORD: 'second-pw' });
    expect(fixed.code).toBe(0);
    expect(fixed.stdout.toString()).toContain('moved damaged key slot');
    const clean = await cli(['repo', 'check', '--read-data', '--repo', repo2], { PERMAFROST_PASSWORD: 'second-pw' });
    expect(clean.code).toBe(0);
  }, 180_000);

  it('a damaged config is named with exit 8; repair config writes a new one with the stored chunk size', async () => {
    const repo = fresh(f);
    const original = JSON.parse(readFileSync(path.join(repo, 'config'), 'utf8'));
    editText(path.join(repo, 'config'), '"format"', '"form');
    const c = await check(repo);
    expect(c.code).toBe(ExitCode.repository);
    expect(c.out).toMatch(/config of .* is not valid JSON/);
    const wrong = await cli(['repo', 'repair', 'config', '--repo', repo], { PERMAFROST_PASSWORD: 'not-it' });
    expect(wrong.code).toBe(ExitCode.repository);
    expect(await repair(repo, 'config')).toContain('wrote a new config');
    expect(JSON.parse(readFileSync(path.join(repo, 'config'), 'utf8')).fixedChunkSize).toBe(original.fixedChunkSize);
    expect(existsSync(path.join(repo, 'lost', 'config'))).toBe(true);
    await expectCheckClean(repo);
    await expectRestores(repo, first.snapshot, first.path);
    // New backups deduplicate against the old data: the same file stores nothing new.
    const again = json(await cli(['backup-file', first.path, '--repo', repo, '--json'], ENV));
    expect(again.snapshot.stats.chunksNew).toBe(0);
  }, 120_000);

  it('prune keeps (and re-indexes from its trailer) a pack whose index file was lost while a snapshot uses it', async () => {
    const repo = fresh(f);
    const r = await openRepository(repo, { password: ENV.PERMAFROST_PASSWORD });
    const entries = [...(await r.index()).entries()];
    await r.close();
    const dataOnly = [...new Set(entries.map((e) => e.pack))].find((p) => entries.filter((e) => e.pack === p).every((e) => e.type === 'data'))!;
    expect(dataOnly).toBeDefined();
    unlinkSync(path.join(repo, 'index', dataOnly));
    const dry = json(await cli(['prune', '--dry-run', '--json', '--repo', repo], ENV));
    expect(dry).toMatchObject({ packsReindexed: 1, orphanPacksDeleted: 0 });
    const real = json(await cli(['prune', '--json', '--repo', repo], ENV));
    expect(real).toMatchObject({ packsReindexed: 1, orphanPacksDeleted: 0 });
    expect(existsSync(path.join(repo, 'index', dataOnly))).toBe(true);
    await expectCheckClean(repo);
    await expectRestores(repo, first.snapshot, first.path);
    await expectRestores(repo, second.snapshot, second.path);
  }, 120_000);

  it("a damaged pack trailer: check --read-data names it; repair packs rewrites the pack", async () => {
    const repo = fresh(f);
    const blob = await dataBlobOf(repo, first.snapshot);
    flipByte(blob.packFile, statSync(blob.packFile).size - 30);
    expect((await check(repo)).code).toBe(0); // the index file is intact: nothing a restore needs is missing
    const c = await check(repo, '--read-data');
    expect(c.code).toBe(ExitCode.corrupted);
    expect(c.out).toContain(`the trailer of pack ${blob.pack.slice(0, 16)}… is damaged`);
    expect(await repair(repo, 'packs')).toMatch(/kept \d+ blob\(s\), lost 0/);
    await expectCheckClean(repo);
    await expectRestores(repo, first.snapshot, first.path);
  }, 120_000);
});
