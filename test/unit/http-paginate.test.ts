// Pagination logic against scripted page sources (pure logic; the real services are covered in
// test/cloud-e2e/access-pagination.test.ts).
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Paginator } from '../../src/http/paginate.js';
import { createLogger } from '../../src/log/logger.js';
import type { ApiResponse, RequestOptions, ServiceType } from '../../src/openstack/types.js';

const warnings: string[] = [];
const logger = createLogger({
  destination: new Writable({
    write(c, _e, cb) {
      warnings.push(String(c));
      cb();
    },
  }),
});

class Scripted {
  calls: RequestOptions[] = [];
  constructor(
    readonly serviceType: ServiceType,
    readonly endpoint: string,
    private readonly answer: (req: RequestOptions, n: number) => unknown,
  ) {}
  async request<T>(req: RequestOptions): Promise<ApiResponse<T>> {
    this.calls.push(req);
    return { statusCode: 200, headers: {}, body: this.answer(req, this.calls.length) as T };
  }
}

async function all<T>(p: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of p) out.push(x);
  return out;
}

const items = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ id: `i${from + i}`, name: `n${from + i}` }));

describe('Paginator', () => {
  it('follows Nova/Cinder *_links with the next href (origin kept on the endpoint)', async () => {
    const src = new Scripted('compute', 'http://127.0.0.1:8774/v2.1', (req, n) =>
      n === 1
        ? { servers: items(2), servers_links: [{ rel: 'next', href: 'http://internal-name:8774/v2.1/servers/detail?limit=2&marker=i1' }] }
        : n === 2
          ? { servers: items(2, 2), servers_links: [{ rel: 'next', href: 'http://internal-name:8774/v2.1/servers/detail?limit=2&marker=i3' }] }
          : { servers: [] },
    );
    const p = new Paginator<{ id: string }>(src, { path: '/servers/detail', pageSize: 2 }, logger);
    expect((await all(p)).map((s) => s.id)).toEqual(['i0', 'i1', 'i2', 'i3']);
    expect(src.calls[0]).toMatchObject({ path: '/servers/detail', searchParams: { limit: 2 } });
    expect(src.calls[1]!.path).toBe('http://127.0.0.1:8774/v2.1/servers/detail?limit=2&marker=i1');
    expect(p.pages).toBe(3);
  });

  it('Neutron with pagination disabled: limit ignored, no next link, one request', async () => {
    const src = new Scripted('network', 'http://n:9696', () => ({ networks: items(5) }));
    const p = new Paginator(src, { path: '/v2.0/networks', pageSize: 2 }, logger);
    expect(await all(p)).toHaveLength(5);
    expect(src.calls).toHaveLength(1);
  });

  it('stops when a server repeats its next link', async () => {
    const src = new Scripted('network', 'http://n:9696', () => ({ ports: items(1), ports_links: [{ rel: 'next', href: 'http://n:9696/v2.0/ports?marker=same' }] }));
    const p = new Paginator(src, { path: '/v2.0/ports', pageSize: 1 }, logger);
    expect(await all(p)).toHaveLength(2);
    expect(warnings.join('')).toContain('repeated a next link');
  });

  it('Glance next is relative to the API root', async () => {
    const src = new Scripted('image', 'http://g:9292/image', (_r, n) => (n === 1 ? { images: items(1), next: '/v2/images?marker=i0&limit=1' } : { images: items(1, 1) }));
    const p = new Paginator(src, { path: '/v2/images', pageSize: 1 }, logger);
    expect(await all(p)).toHaveLength(2);
    expect(src.calls[1]!.path).toBe('http://g:9292/image/v2/images?marker=i0&limit=1');
  });

  it('Swift marker listings stop on a short page; subdir entries give the marker too', async () => {
    const src = new Scripted('object-store', 'http://s/v1/AUTH_p', (req) => {
      const marker = req.searchParams?.marker;
      if (marker === undefined) return [{ name: 'a' }, { subdir: 'b/' }];
      if (marker === 'b/') return [{ name: 'c' }];
      return [];
    });
    const p = new Paginator<{ name?: string; subdir?: string }>(src, { path: '/c', pageSize: 2, searchParams: { delimiter: '/' } }, logger);
    expect((await all(p)).map((o) => o.name ?? o.subdir)).toEqual(['a', 'b/', 'c']);
    expect(src.calls.map((c) => c.searchParams)).toEqual([
      { delimiter: '/', format: 'json', limit: 2, marker: undefined },
      { delimiter: '/', format: 'json', limit: 2, marker: 'b/' },
    ]);
  });

  it('Swift without a page size reads until an empty page', async () => {
    const src = new Scripted('object-store', 'http://s/v1/AUTH_p', (req) => (req.searchParams?.marker === undefined ? [{ name: 'a' }] : []));
    expect(await all(new Paginator(src, { path: '' }, logger))).toHaveLength(1);
    expect(src.calls).toHaveLength(2);
  });

  it('Keystone: one request, truncated lists are flagged and warned about', async () => {
    const src = new Scripted('identity', 'http://k/v3', () => ({ users: items(3), links: { next: null }, truncated: true }));
    const p = new Paginator(src, { path: '/users', pageSize: 1 }, logger);
    expect(await all(p)).toHaveLength(3);
    expect(p.truncated).toBe(true);
    expect(src.calls[0]!.searchParams).toBeUndefined();
    expect(warnings.join('')).toContain('truncated');
  });

  it('asks for itemsKey when the body is ambiguous', async () => {
    const src = new Scripted('placement', 'http://p', () => ({ a: [], b: [] }));
    await expect(all(new Paginator(src, { path: '/x' }, logger))).rejects.toThrow(/pass itemsKey/);
    const src2 = new Scripted('placement', 'http://p', () => ({ a: [1], b: [2, 3] }));
    expect(await all(new Paginator(src2, { path: '/x', itemsKey: 'b' }, logger))).toEqual([2, 3]);
  });
});
