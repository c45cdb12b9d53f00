// ObjectClient against the real Swift of the local cloud (demo user): account and container
// metadata, ACLs, versioning, quotas, streamed objects with content headers and unicode
// metadata, unicode names and pseudo-folders, SLO and DLO manifests, paged listings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectClient } from '../../services/objects/client.js';
import type { Session } from '../../src/openstack/types.js';
import { DEMO, open } from './helpers/access.js';
import { Cleanup, dataStream, sha256Of, svcName } from './helpers/services.js';

describe('ObjectClient (Swift)', () => {
  let session: Session;
  let swift: ObjectClient;
  const cleanup = new Cleanup();
  const container = svcName('objects');
  const segments = svcName('segments');

  beforeAll(async () => {
    session = await open(DEMO);
    swift = await ObjectClient.open(session, 2);
  });

  afterAll(async () => {
    expect(await cleanup.run()).toEqual([]);
    await session.close();
  });

  it('creates containers with metadata, ACLs and quotas, and reads them back', async () => {
    cleanup.add(`container ${container}`, () => swift.deleteContainer(container));
    cleanup.add(`container ${segments}`, () => swift.deleteContainer(segments));
    await swift.createContainer(container, { metadata: { Color: 'blau', Owner: 'ünïcødé' }, read: '.r:*,.rlistings', quotaBytes: 50 * 2 ** 20 });
    await swift.createContainer(segments);
    const info = await swift.headContainer(container);
    expect(info.metadata).toMatchObject({ color: 'blau', owner: 'ünïcødé' });
    expect(info.read).toBe('.r:*,.rlistings');
    expect(info.quotaBytes).toBe(50 * 2 ** 20);
    expect(info.storagePolicy).toBeTruthy();
    await swift.updateContainer(container, { metadata: { Extra: '1' }, removeMetadata: ['Color'] });
    const updated = await swift.headContainer(container);
    expect(updated.metadata['color']).toBeUndefined();
    expect(updated.metadata['extra']).toBe('1');
  });

  it('toggles object versioning on a container', async () => {
    const versioned = svcName('versioned');
    cleanup.add(`container ${versioned}`, () => swift.deleteContainer(versioned));
    await swift.createContainer(versioned, { versionsEnabled: true });
    expect((await swift.headContainer(versioned)).versionsEnabled).toBe(true);
    await swift.updateContainer(versioned, { versionsEnabled: false });
    expect((await swift.headContainer(versioned)).versionsEnabled).toBe(false);
  });

  it('round-trips a streamed object with content headers, unicode metadata and delete-at', async () => {
    const name = 'dir/ünïcødé 日本語.bin';
    const size = 5 * 2 ** 20 + 123;
    const expected = await sha256Of(dataStream(size, 'obj-1'));
    const deleteAt = Math.floor(Date.now() / 1000) + 3600;
    cleanup.add(`object ${name}`, () => swift.deleteObject(container, name));
    await swift.putObject(container, name, dataStream(size, 'obj-1'), {
      contentType: 'application/x-test',
      contentEncoding: 'identity',
      contentDisposition: 'attachment; filename="x.bin"',
      metadata: { Note: 'grüße 日本' },
      deleteAt,
    });
    const info = await swift.headObject(container, name);
    expect(info).toMatchObject({ contentLength: size, contentType: 'application/x-test', contentEncoding: 'identity', contentDisposition: 'attachment; filename="x.bin"', deleteAt, staticLargeObject: false });
    expect(info.metadata['note']).toBe('grüße 日本');
    const { stream } = await swift.getObject(container, name);
    expect(await sha256Of(stream)).toEqual(expected);
    await swift.updateObject(container, name, { metadata: { Other: 'x' }, contentType: 'application/x-test' });
    expect((await swift.headObject(container, name)).metadata).toEqual({ other: 'x' });
  });

  it('lists with pages smaller than the object count, and pseudo-folders', async () => {
    const names = ['a.txt', 'b.txt', 'dir/c.txt', 'dir/sub/d.txt', 'e.txt'];
    for (const n of names) {
      cleanup.add(`object ${n}`, () => swift.deleteObject(container, n));
      await swift.putObject(container, n, Buffer.from(n));
    }
    const all = await swift.listObjects(container); // page size 2
    expect(all.map((o) => o.name)).toEqual(expect.arrayContaining(names));
    expect(all.length).toBeGreaterThan(2);
    const top = await swift.listFolder(container, '');
    expect(top.map((e) => ('subdir' in e ? e.subdir : e.name))).toEqual(expect.arrayContaining(['a.txt', 'dir/']));
    const dir = await swift.listFolder(container, 'dir/');
    expect(dir.map((e) => ('subdir' in e ? e.subdir : e.name))).toEqual(expect.arrayContaining(['dir/c.txt', 'dir/sub/']));
    const containers = await swift.listContainers(); // page size 2 over ≥ 4 demo containers
    expect(containers.map((c) => c.name)).toEqual(expect.arrayContaining([container, segments, 'demo-container']));
  });

  it('writes and reads an SLO manifest; the joined object equals the segments', async () => {
    const segSize = 2 ** 20;
    const parts = ['slo/0', 'slo/1'];
    const etags: string[] = [];
    for (const [i, part] of parts.entries()) {
      cleanup.add(`segment ${part}`, () => swift.deleteObject(segments, part));
      etags.push((await swift.putObject(segments, part, dataStream(segSize, `slo-${i}`))).etag!);
    }
    cleanup.add('slo manifest', () => swift.deleteObject(container, 'big-slo'));
    await swift.putSloManifest(container, 'big-slo', parts.map((p, i) => ({ path: `/${segments}/${p}`, etag: etags[i], size_bytes: segSize })), { metadata: { Kind: 'slo' } });
    const info = await swift.headObject(container, 'big-slo');
    expect(info.staticLargeObject).toBe(true);
    expect(info.contentLength).toBe(2 * segSize);
    const manifest = await swift.getSloManifest(container, 'big-slo');
    expect(manifest.map((s) => s.name)).toEqual(parts.map((p) => `/${segments}/${p}`));
    const joined = await sha256Of((await swift.getObject(container, 'big-slo')).stream);
    const { createHash } = await import('node:crypto');
    const h = createHash('sha256');
    for (const [i] of parts.entries()) for await (const c of dataStream(segSize, `slo-${i}`)) h.update(c as Buffer);
    expect(joined).toEqual({ sha256: h.digest('hex'), size: 2 * segSize });
    const raw = await sha256Of((await swift.getObject(container, 'big-slo', { manifest: true })).stream);
    expect(raw.size).toBeLessThan(2000); // the manifest itself, not the data
  });

  it('writes a DLO manifest (X-Object-Manifest) that joins its segments', async () => {
    for (const part of ['dlo/0', 'dlo/1']) {
      cleanup.add(`segment ${part}`, () => swift.deleteObject(segments, part));
      await swift.putObject(segments, part, Buffer.from(`${part};`));
    }
    cleanup.add('dlo manifest', () => swift.deleteObject(container, 'big-dlo'));
    await swift.putDloManifest(container, 'big-dlo', `${segments}/dlo/`);
    const info = await swift.headObject(container, 'big-dlo');
    expect(info.objectManifest).toBe(`${segments}/dlo/`);
    const chunks: Buffer[] = [];
    for await (const c of (await swift.getObject(container, 'big-dlo')).stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('dlo/0;dlo/1;');
  });

  it('sets and removes account metadata', async () => {
    const key = svcName('meta').replace(/-/g, '');
    await swift.updateAccountMetadata({ [key]: 'yes' });
    expect((await swift.getAccount()).metadata[key.toLowerCase()]).toBe('yes');
    await swift.updateAccountMetadata({}, [key]);
    const account = await swift.getAccount();
    expect(account.metadata[key.toLowerCase()]).toBeUndefined();
    expect(account.containerCount).toBeGreaterThanOrEqual(2);
  });
});
