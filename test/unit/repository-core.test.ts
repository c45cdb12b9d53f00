import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, PermafrostError } from '../../src/errors.js';
import { initRepository, openRepository } from '../../src/repository/index.js';
import { addPassphrase, addPublicKey, listKeySlots, removeKeySlot } from '../../src/repository/key-admin.js';
import { RepoLock } from '../../src/repository/locks.js';
import { openBackend } from '../../src/repository/backends/index.js';
import { streamDigestOf } from '../../streams/stream-digest.js';
import { FAST_SCRYPT, MiB, day2, diskImage, prng, readAll, rsaKeyFiles, sha256, source, tempDir } from './repository-helpers.js';

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

async function expectCode(p: Promise<unknown>, code: number, message?: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PermafrostError);
  expect((err as PermafrostError).exitCode).toBe(code);
  if (message) expect((err as Error).message).toMatch(message);
}

describe('repository', () => {
  const tmp = tempDir('core');
  const repoDir = path.join(tmp.dir, 'repo');
  let keys: { publicKey: string; privateKey: string };

  beforeAll(async () => {
    keys = rsaKeyFiles(tmp.dir);
    const repo = await initRepository(repoDir, { password: 'correct horse', scrypt: FAST_SCRYPT, publicKey: keys.publicKey });
    await repo.close();
  }, 180_000);
  afterAll(() => tmp.cleanup());

  it('refuses a second init and a wrong password, writing nothing', async () => {
    await expectCode(initRepository(repoDir, { password: 'x', scrypt: FAST_SCRYPT }), ExitCode.repository, /already holds/);
    const before = filesUnder(repoDir);
    await expectCode(openRepository(repoDir, { password: 'wrong' }), ExitCode.repository, /wrong password/);
    expect(filesUnder(repoDir)).toEqual(before);
  }, 300_000);

  it('writes many streams concurrently plus documents, and reads them back', async () => {
    const repo = await openRepository(repoDir, { password: 'correct horse' });
    try {
      const w = await repo.startSnapshot({ type: 'project', tags: { project: 'p1' } });
      const datas = [diskImage(9 * MiB, 'a'), prng(3 * MiB + 77, 'b'), Buffer.alloc(2 * MiB), Buffer.alloc(0)];
      const results = await Promise.all([
        w.writeStream('volume-a', source(datas[0])),
        w.writeStream('object-b', source(datas[1]), { chunker: 'cdc' }),
        w.writeStream('zeros', source(datas[2])),
        w.writeStream('empty', source(datas[3])),
        w.writeDocument('manifest', { resources: [{ id: 'x', kind: 'server' }] }),
      ]);
      // fixed-chunker streams record the 4 KiB block tree digest, CDC streams plain SHA-256
      expect(results[0]).toMatchObject({ name: 'volume-a', size: 9 * MiB, sha256: streamDigestOf('sha256-b4k', datas[0]) });
      expect(results[1]).toMatchObject({ name: 'object-b', sha256: sha256(datas[1]) });
      expect(results[2]).toMatchObject({ name: 'zeros', sha256: streamDigestOf('sha256-b4k', datas[2]) });
      expect(results[3]).toMatchObject({ name: 'empty', sha256: streamDigestOf('sha256-b4k', datas[3]) });
      const info = await w.commit();
      expect(info.streams.sort()).toEqual(['empty', 'object-b', 'volume-a', 'zeros']);
      expect(info.tags).toEqual({ project: 'p1' });
      const names = ['volume-a', 'object-b', 'zeros', 'empty'];
      for (let i = 0; i < names.length; i++) expect((await readAll(await repo.readStream(info.id, names[i]))).equals(datas[i])).toBe(true);
      expect(await repo.readDocument(info.id, 'manifest')).toEqual({ resources: [{ id: 'x', kind: 'server' }] });
      expect((await repo.getSnapshot(info.id.slice(0, 10))).id).toBe(info.id);
      expect((await repo.getSnapshot('latest')).id).toBe(info.id);
      await expectCode(repo.readStream(info.id, 'nope'), ExitCode.notFound);
    } finally {
      await repo.close();
    }
  }, 300_000);

  it('stores a day-2 disk with scattered 4 KiB changes as small sub-block deltas, restoring byte-identical', async () => {
    const repo = await openRepository(repoDir, { password: 'correct horse' });
    try {
      const day1 = diskImage(16 * MiB, 'disk');
      const w1 = await repo.startSnapshot({ type: 'file' });
      await w1.writeStream('disk', source(day1));
      const s1 = await w1.commit();
      const next = day2(day1, 40, 'changes');
      const w2 = await repo.startSnapshot({ type: 'file' });
      await w2.writeStream('disk', source(next));
      const s2 = await w2.commit();
      expect(s2.parent).toBe(s1.id);
      // 40 changed blocks = 160 KiB of information; full 1 MiB chunks would store several MiB.
      expect(s2.stats.bytesStored).toBeLessThan(400 * 1024);
      // Day 3 chains on day 2's deltas.
      const next3 = day2(next, 40, 'changes-3');
      const w3 = await repo.startSnapshot({ type: 'file' });
      await w3.writeStream('disk', source(next3));
      const s3 = await w3.commit();
      expect(s3.stats.bytesStored).toBeLessThan(400 * 1024);
      expect((await readAll(await repo.readStream(s1.id, 'disk'))).equals(day1)).toBe(true);
      expect((await readAll(await repo.readStream(s2.id, 'disk'))).equals(next)).toBe(true);
      expect((await readAll(await repo.readStream(s3.id, 'disk'))).equals(next3)).toBe(true);
    } finally {
      await repo.close();
    }
  }, 300_000);

  it('write-only host (public key only) can add and deduplicate snapshots but read nothing', async () => {
    const wo = await openRepository(repoDir, { publicKeyOnly: keys.publicKey });
    let id: string;
    try {
      expect(wo.canRead).toBe(false);
      const data = prng(3 * MiB, 'wo');
      const w = await wo.startSnapshot({ type: 'file' });
      await w.writeStream('wo-disk', source(data));
      id = (await w.commit()).id;
      // Same data again: deduplicated against what is stored.
      const w2 = await wo.startSnapshot({ type: 'file' });
      await w2.writeStream('wo-disk-again', source(data));
      const again = await w2.commit();
      expect(again.stats.chunksNew).toBe(0);
      expect(again.stats.chunksReused).toBeGreaterThan(0);
      await expectCode(wo.listSnapshots(), ExitCode.repository, /write-only/);
      await expectCode(wo.getSnapshot(id), ExitCode.repository, /write-only/);
      await expectCode(wo.readStream(id, 'wo-disk'), ExitCode.repository, /write-only/);
      await expectCode(wo.readDocument(id, 'manifest'), ExitCode.repository, /write-only/);
      // Even with direct access to the blobs, it holds no key that opens a data key.
      const reader = await wo.reader();
      const index = await wo.index();
      const dataBlob = [...index.entries()].find((b) => b.type === 'data')!;
      await expectCode(reader.chunk(dataBlob.id), ExitCode.repository);
      await expectCode(addPassphrase(wo, 'x'), ExitCode.repository);
    } finally {
      await wo.close();
    }
    const ro = await openRepository(repoDir, { password: 'correct horse' });
    try {
      expect((await readAll(await ro.readStream(id, 'wo-disk'))).equals(prng(3 * MiB, 'wo'))).toBe(true);
    } finally {
      await ro.close();
    }
  }, 300_000);

  it('adds and removes passwords, refuses to remove the last one', async () => {
    const repo = await openRepository(repoDir, { password: 'correct horse' });
    try {
      const slot = await addPassphrase(repo, 'second', FAST_SCRYPT);
      (await openRepository(repoDir, { password: 'second' })).close();
      const first = (await listKeySlots(repo)).find((s) => s.kind === 'passphrase' && s.id !== slot.id)!;
      await removeKeySlot(repo, first.id);
      await expectCode(openRepository(repoDir, { password: 'correct horse' }), ExitCode.repository, /wrong password/);
      await expectCode(removeKeySlot(repo, slot.id), ExitCode.usage, /last password/);
      await addPassphrase(repo, 'correct horse', FAST_SCRYPT);
      await expectCode(addPublicKey(repo, keys.publicKey), ExitCode.usage, /already registered/);
    } finally {
      await repo.close();
    }
  }, 300_000);

  it('refuses a repository or snapshot of a future format version with a clear message', async () => {
    const t = tempDir('future');
    try {
      const dir = path.join(t.dir, 'r');
      const repo = await initRepository(dir, { password: 'p', scrypt: FAST_SCRYPT });
      const w = await repo.startSnapshot({ type: 'file' });
      await w.writeStream('x', source(Buffer.from('hello')));
      const s = await w.commit();
      await repo.close();
      const snapFile = path.join(dir, 'snapshots', s.id);
      const snap = JSON.parse(readFileSync(snapFile, 'utf8'));
      writeFileSync(snapFile, JSON.stringify({ ...snap, version: 3 }));
      const r2 = await openRepository(dir, { password: 'p' });
      await expectCode(r2.listSnapshots(), ExitCode.repository, /format version 3.*upgrade permafrost/);
      await r2.close();
      const cfgFile = path.join(dir, 'config');
      writeFileSync(cfgFile, JSON.stringify({ ...JSON.parse(readFileSync(cfgFile, 'utf8')), version: 3 }));
      await expectCode(openRepository(dir, { password: 'p' }), ExitCode.repository, /version 3.*only understands versions 1…2/);
    } finally {
      t.cleanup();
    }
  }, 300_000);

  it('locks: an exclusive lock blocks backups with a message naming the holder; dead holders are stale', async () => {
    const backend = await openBackend(repoDir);
    const lock = await RepoLock.acquire(backend, true, 'prune');
    const repo = await openRepository(repoDir, { password: 'correct horse' });
    try {
      await expectCode(repo.startSnapshot({ type: 'file' }), ExitCode.repository, new RegExp(`exclusive lock by "prune" \\(pid ${process.pid}`));
      await lock.release();
      // A lock of a process that no longer exists on this host is ignored.
      const dead = { version: 1, id: 'dead', exclusive: true, hostname: (await import('node:os')).hostname(), pid: 2 ** 22 + 12345, command: 'prune', time: new Date().toISOString(), refreshed: new Date().toISOString() };
      await backend.put('locks/dead', Buffer.from(JSON.stringify(dead)));
      const w = await repo.startSnapshot({ type: 'file' });
      await w.abort();
      await backend.delete('locks/dead');
    } finally {
      await repo.close();
      await backend.close();
    }
    expect(statSync(repoDir).isDirectory()).toBe(true);
  }, 300_000);
});
