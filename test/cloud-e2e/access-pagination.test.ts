// The one pagination helper against every real service, always with a page size smaller than
// the item count (throwaway items are created where the seeded project has too few).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeystoneSession } from '../../src/auth/keystone-session.js';
import type { Paginator } from '../../src/http/paginate.js';
import type { ServiceClient } from '../../src/openstack/types.js';
import { ADMIN, DEMO, open, sshPublicKey, uniqueName } from './helpers/access.js';

let demo: KeystoneSession;
let admin: KeystoneSession;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  demo = await open(DEMO);
  admin = await open(ADMIN);
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch((e: Error) => console.error('cleanup failed:', e.message));
  await demo?.close();
  await admin?.close();
});

async function collect<T>(p: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of p) out.push(x);
  return out;
}

/** Lists with small pages and with one big request, and checks that both agree. */
async function pagedVersusWhole<T>(client: ServiceClient, path: string, pageSize: number, key: (item: T) => string, extra: Record<string, string> = {}) {
  const paged = client.paginate<T>({ path, pageSize, searchParams: extra }) as Paginator<T>;
  const items = await collect(paged);
  const whole = await collect(client.paginate<T>({ path, pageSize: 1000, searchParams: extra }));
  const keys = items.map(key);
  expect(new Set(keys).size, `${path}: no duplicates`).toBe(keys.length);
  expect([...keys].sort()).toEqual(whole.map(key).sort());
  return { items, keys, pages: paged.pages };
}

describe('Nova *_links', () => {
  it('keypairs (2.35+ paging) and flavors', async () => {
    const compute = await demo.client('compute', { minMicroversion: '2.35' });
    const names = [1, 2, 3].map(() => uniqueName('kp'));
    for (const name of names) {
      await compute.request({ method: 'POST', path: '/os-keypairs', json: { keypair: { name, public_key: sshPublicKey(name) } } });
      cleanups.push(() => compute.request({ method: 'DELETE', path: `/os-keypairs/${name}`, okStatus: [202, 204, 404] }));
    }
    const kp = await pagedVersusWhole<{ keypair: { name: string } }>(compute, '/os-keypairs', 2, (k) => k.keypair.name);
    expect(kp.keys).toEqual(expect.arrayContaining([...names, 'demo-key']));
    expect(kp.pages).toBeGreaterThanOrEqual(2);
    const flavors = await pagedVersusWhole<{ id: string }>(compute, '/flavors/detail', 1, (f) => f.id);
    expect(flavors.items.length).toBeGreaterThanOrEqual(2);
    expect(flavors.pages).toBeGreaterThanOrEqual(flavors.items.length);
  });
});

describe('Cinder *_links', () => {
  it('volumes and snapshots one per page', async () => {
    const volume = await demo.client('volumev3');
    const vols = await pagedVersusWhole<{ id: string; name: string }>(volume, '/volumes/detail', 1, (v) => v.id);
    expect(vols.items.map((v) => v.name)).toEqual(expect.arrayContaining(['demo-vol-blank', 'demo-vol-from-image']));
    expect(vols.pages).toBeGreaterThanOrEqual(2);
    const snaps = await pagedVersusWhole<{ id: string }>(volume, '/snapshots/detail', 1, (s) => s.id);
    expect(snaps.items.length).toBeGreaterThanOrEqual(1);
  });
});

describe('Glance next', () => {
  it('images two per page', async () => {
    const image = await demo.client('image');
    const names = [1, 2, 3].map(() => uniqueName('img'));
    for (const name of names) {
      const res = await image.request<{ id: string }>({
        method: 'POST',
        path: '/v2/images',
        json: { name, disk_format: 'raw', container_format: 'bare', visibility: 'private' },
        okStatus: [201],
      });
      cleanups.push(() => image.request({ method: 'DELETE', path: `/v2/images/${res.body.id}`, okStatus: [204, 404] }));
    }
    const imgs = await pagedVersusWhole<{ id: string; name: string }>(image, '/v2/images', 2, (i) => i.id);
    expect(imgs.items.map((i) => i.name)).toEqual(expect.arrayContaining([...names, 'demo-image']));
    expect(imgs.pages).toBeGreaterThanOrEqual(3);
  });
});

describe('Neutron links', () => {
  it('security groups and rules two per page', async () => {
    const net = await demo.client('network');
    const names = [1, 2, 3].map(() => uniqueName('sg'));
    for (const name of names) {
      const res = await net.request<{ security_group: { id: string } }>({ method: 'POST', path: '/v2.0/security-groups', json: { security_group: { name } }, okStatus: [201] });
      cleanups.push(() => net.request({ method: 'DELETE', path: `/v2.0/security-groups/${res.body.security_group.id}`, okStatus: [204, 404] }));
    }
    const sgs = await pagedVersusWhole<{ id: string; name: string }>(net, '/v2.0/security-groups', 2, (s) => s.id);
    expect(sgs.items.map((s) => s.name)).toEqual(expect.arrayContaining([...names, 'demo-sg']));
    expect(sgs.pages).toBeGreaterThanOrEqual(3);
    const rules = await pagedVersusWhole<{ id: string }>(net, '/v2.0/security-group-rules', 3, (r) => r.id);
    expect(rules.pages).toBeGreaterThanOrEqual(2);
  });

  it('collections without paging: limit ignored, no next link, one request', async () => {
    const net = await demo.client('network');
    const azs = net.paginate<{ name: string; resource: string }>({ path: '/v2.0/availability_zones', pageSize: 1 }) as Paginator<unknown>;
    const items = await collect(azs);
    expect(items.length).toBeGreaterThanOrEqual(2);
    expect(azs.pages).toBe(1);
    const exts = net.paginate({ path: '/v2.0/extensions', pageSize: 2 }) as Paginator<unknown>;
    expect((await collect(exts)).length).toBeGreaterThan(2);
    expect(exts.pages).toBe(1);
  });
});

describe('Swift marker listings', () => {
  it('objects and pseudo-folders two per page, containers one per page', async () => {
    const swift = await demo.client('object-store');
    const container = uniqueName('c');
    await swift.request({ method: 'PUT', path: `/${container}`, okStatus: [201, 202] });
    const objects = ['a.txt', 'b.txt', 'c.txt', 'dir/x.txt', 'dir/y.txt'];
    for (const o of objects) await swift.request({ method: 'PUT', path: `/${container}/${o}`, body: Buffer.from(o), okStatus: [201] });
    cleanups.push(async () => {
      for (const o of objects) await swift.request({ method: 'DELETE', path: `/${container}/${o}`, okStatus: [204, 404] });
      await swift.request({ method: 'DELETE', path: `/${container}`, okStatus: [204, 404] });
    });
    const all = swift.paginate<{ name: string }>({ path: `/${container}`, pageSize: 2 }) as Paginator<{ name: string }>;
    expect((await collect(all)).map((o) => o.name)).toEqual(objects);
    expect(all.pages).toBe(3);
    const folders = await collect(swift.paginate<{ name?: string; subdir?: string }>({ path: `/${container}`, pageSize: 2, searchParams: { delimiter: '/' } }));
    expect(folders.map((o) => o.name ?? o.subdir)).toEqual(['a.txt', 'b.txt', 'c.txt', 'dir/']);
    const containers = await pagedVersusWhole<{ name: string }>(swift, '', 1, (c) => c.name);
    expect(containers.keys).toEqual(expect.arrayContaining(['demo-container', 'demo-public', container]));
    expect(containers.pages).toBeGreaterThanOrEqual(3);
  });

  it('downloads stream the object bytes', async () => {
    const swift = await demo.client('object-store');
    const { stream, headers } = await swift.download({ path: '/demo-container/hello.txt' });
    let text = '';
    for await (const c of stream) text += String(c);
    expect(text).toBe('hello from devcloud\n');
    expect(headers.etag).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('Keystone (no paging)', () => {
  it('one request, page size ignored, not truncated', async () => {
    const identity = await admin.client('identity');
    const users = identity.paginate<{ id: string; name: string }>({ path: '/users', pageSize: 2 }) as Paginator<{ id: string; name: string }>;
    const items = await collect(users);
    expect(items.map((u) => u.name)).toEqual(expect.arrayContaining(['admin', 'demo', 'nova']));
    expect(items.length).toBeGreaterThan(2);
    expect(users.pages).toBe(1);
    expect(users.truncated).toBe(false);
  });
});
