// A repository written by format version 1 (packs without trailer, key slots without checksum,
// every file at version 1) is read, checked and written to by this version; `repo repair index`
// rebuilds what it can (the version-2 packs added since) and names the version-1 packs it cannot.
// The version-1 repository is made here from a fresh one by undoing what version 2 added.
import { cpSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJson, sealJson } from '../../streams/blob-crypto.js';
import { deriveKey } from '../../streams/keyed-hash.js';
import { indexKeyFrom, openPackIndex, sealPackIndex } from '../../src/repository/blob-index.js';
import { openRepository } from '../../src/repository/index.js';
import { readTrailer } from '../../src/repository/pack-trailer.js';
import { cli, requireBuilt } from './cli-repo-helpers.js';
import { tempDir } from './repository-helpers.js';
import { buildFixture, ENV, expectCheckClean, expectRestores, filesUnder, fresh, type Fixture } from './repo-damage-helpers.js';

/** Rewrites a version-2 repository as version 1 wrote it. */
async function downgradeToV1(repo: string): Promise<void> {
  const r = await openRepository(repo, { password: ENV.PERMAFROST_PASSWORD });
  const idKey = r.secrets.idKey;
  const backend = r.backend;
  try {
    const key = indexKeyFrom(idKey);
    for (const packFile of filesUnder(repo, 'data')) {
      const pack = path.basename(packFile);
      const t = await readTrailer(backend, key, pack, statSync(packFile).size);
      if (t.kind !== 'ok') throw new Error(`pack ${pack} has no trailer`);
      truncateSync(packFile, statSync(packFile).size - t.trailerBytes);
      const indexFile = path.join(repo, 'index', pack);
      const file = openPackIndex(key, pack, readFileSync(indexFile), backend.location);
      writeFileSync(indexFile, sealPackIndex(key, { ...file, version: 1 }));
    }
  } finally {
    await r.close();
  }
  for (const snap of filesUnder(repo, 'snapshots')) writeFileSync(snap, JSON.stringify({ ...JSON.parse(readFileSync(snap, 'utf8')), version: 1 }));
  for (const slotFile of filesUnder(repo, 'keys')) {
    if (slotFile.endsWith('recipients')) {
      const rkey = deriveKey(idKey, 'recipients');
      const doc = openJson<{ version: number; keys: string[] }>(rkey, 'recipients', readFileSync(slotFile));
      writeFileSync(slotFile, sealJson(rkey, 'recipients', { ...doc, version: 1 }));
      continue;
    }
    const { sum: _sum, ...slot } = JSON.parse(readFileSync(slotFile, 'utf8'));
    writeFileSync(slotFile, JSON.stringify({ ...slot, version: 1 }, null, 2));
  }
  const config = path.join(repo, 'config');
  writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), version: 1 }, null, 2));
}

describe('CLI: a version-1 repository', () => {
  const tmp = tempDir('cli-format-v1');
  let f: Fixture;
  let repo: string;

  beforeAll(async () => {
    requireBuilt();
    f = await buildFixture(tmp.dir);
    repo = fresh(f);
    await downgradeToV1(repo);
  }, 180_000);
  afterAll(() => tmp.cleanup());

  it('is checked clean and restores byte-identical', async () => {
    for (const pack of filesUnder(repo, 'data')) expect(readFileSync(pack).subarray(-4).toString('latin1')).not.toBe('PFT2');
    await expectCheckClean(repo);
    for (const file of f.files) await expectRestores(repo, file.snapshot, file.path);
  }, 120_000);

  it('takes new backups (version-2 packs beside version-1 ones); repair index rebuilds those and names the others', async () => {
    const before = new Set(filesUnder(repo, 'data'));
    const changed = path.join(tmp.dir, 'third.img');
    writeFileSync(changed, Buffer.concat([readFileSync(f.files[0].path), Buffer.from('more')]));
    const b = await cli(['backup-file', changed, '--repo', repo, '--json'], ENV);
    expect(b.code).toBe(0);
    const third = JSON.parse(b.stdout.toString()).snapshot.id as string;
    const added = filesUnder(repo, 'data').filter((p) => !before.has(p));
    expect(added.length).toBeGreaterThan(0);
    for (const pack of added) expect(readFileSync(pack).subarray(-4).toString('latin1')).toBe('PFT2');
    await expectCheckClean(repo);
    await expectRestores(repo, third, changed);

    const copy = path.join(tmp.dir, 'v1-no-index');
    rmSync(copy, { recursive: true, force: true });
    cpSync(repo, copy, { recursive: true });
    rmSync(path.join(copy, 'index'), { recursive: true });
    const r = await cli(['repo', 'repair', 'index', '--repo', copy], ENV);
    expect(r.code).toBe(0);
    const out = r.stdout.toString();
    expect(out).toContain(`${added.length} rebuilt from their packs`);
    expect(out.match(/cannot be indexed: it has no index file and no trailer \(a version-1 pack/g)?.length).toBe(before.size);
  }, 180_000);
});
