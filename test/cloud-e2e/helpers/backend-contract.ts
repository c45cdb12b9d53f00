// The behaviour every storage backend owes the repository (src/repository/types.ts Backend),
// checked against a real service. Each backend's suite calls this inside its own describe().
import { createHash, randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { ExitCode, PermafrostError } from '../../../src/errors.js';
import type { Backend } from '../../../src/repository/types.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function collectList(b: Backend, prefix: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const o of b.list(prefix)) {
    expect(out.has(o.key), `key ${o.key} listed twice`).toBe(false);
    out.set(o.key, o.size);
  }
  return out;
}

/**
 * `backend()` returns the backend under test (opened in beforeAll, with a listing page size of 3 so
 * that paging is exercised); every test uses its own key prefix.
 */
export function backendContract(backend: () => Backend, features: { putIfAbsent: boolean } = { putIfAbsent: true }): void {
  it('stores and returns bytes unchanged (binary-safe), stats and deletes', async () => {
    const b = backend();
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const data = Buffer.concat([all, randomBytes(64 * 1024 + 7), all]);
    await b.put('basic/obj', data);
    expect(sha(await b.get('basic/obj'))).toBe(sha(data));
    expect(await b.stat('basic/obj')).toEqual({ size: data.length });
    await b.put('basic/empty', Buffer.alloc(0));
    expect((await b.get('basic/empty')).length).toBe(0);
    expect(await b.stat('basic/empty')).toEqual({ size: 0 });
    // Overwrite replaces the whole object.
    await b.put('basic/obj', Buffer.from('second version'));
    expect((await b.get('basic/obj')).toString()).toBe('second version');
    await b.delete('basic/obj');
    await b.delete('basic/empty');
    expect(await b.stat('basic/obj')).toBeUndefined();
  });

  it('reports a missing key as not found and deletes idempotently', async () => {
    const b = backend();
    expect(await b.stat('missing/none')).toBeUndefined();
    const err = await b.get('missing/none').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermafrostError);
    expect((err as PermafrostError).exitCode).toBe(ExitCode.notFound);
    await expect(b.delete('missing/none')).resolves.toBeUndefined();
  });

  it('reads byte ranges', async () => {
    const b = backend();
    const data = randomBytes(10_000);
    await b.put('range/obj', data);
    expect((await b.getRange('range/obj', 0, 10)).equals(data.subarray(0, 10))).toBe(true);
    expect((await b.getRange('range/obj', 1234, 4321)).equals(data.subarray(1234, 1234 + 4321))).toBe(true);
    expect((await b.getRange('range/obj', 9_990, 10)).equals(data.subarray(9_990))).toBe(true);
    // A range reaching past the end returns what exists, like a file read.
    expect((await b.getRange('range/obj', 9_995, 100)).equals(data.subarray(9_995))).toBe(true);
    expect((await b.getRange('range/obj', 5, 0)).length).toBe(0);
    await b.delete('range/obj');
  });

  it('lists recursively under a prefix across several pages', async () => {
    const b = backend();
    const expected = new Map<string, number>();
    const puts: Promise<void>[] = [];
    for (let i = 0; i < 11; i++) {
      const key = `list/a/${i % 3}/item-${String(i).padStart(2, '0')}`;
      expected.set(key, i + 1);
      puts.push(b.put(key, Buffer.alloc(i + 1, i)));
    }
    puts.push(b.put('list/b/outside', Buffer.from('x')));
    puts.push(b.put('listing-sibling', Buffer.from('y')));
    await Promise.all(puts);
    expect(await collectList(b, 'list/a/')).toEqual(expected);
    const all = await collectList(b, 'list/');
    expect(all.size).toBe(12);
    expect(all.get('list/b/outside')).toBe(1);
    // A prefix may end inside a name.
    expect([...(await collectList(b, 'list/a/1/item-0'))].map(([k]) => k).sort()).toEqual(['list/a/1/item-01', 'list/a/1/item-04', 'list/a/1/item-07']);
    expect((await collectList(b, 'nothing-here/')).size).toBe(0);
    await Promise.all([...all.keys(), 'listing-sibling'].map((k) => b.delete(k)));
    expect((await collectList(b, 'list/')).size).toBe(0);
  });

  it('keeps unusual characters in keys intact', async () => {
    const b = backend();
    const key = 'odd/name with space+plus=eq&amp;~tilde(1)!*\'ü';
    await b.put(key, Buffer.from('odd'));
    expect((await b.get(key)).toString()).toBe('odd');
    expect([...(await collectList(b, 'odd/')).keys()]).toEqual([key]);
    await b.delete(key);
  });

  if (features.putIfAbsent) {
    it('putIfAbsent creates once and never overwrites', async () => {
      const b = backend();
      if (!b.putIfAbsent) throw new Error('backend does not implement putIfAbsent');
      await b.delete('cond/lock');
      expect(await b.putIfAbsent('cond/lock', Buffer.from('first'))).toBe(true);
      expect(await b.putIfAbsent('cond/lock', Buffer.from('second'))).toBe(false);
      expect((await b.get('cond/lock')).toString()).toBe('first');
      await b.delete('cond/lock');
    });
  } else {
    it('offers no putIfAbsent (callers must not rely on an atomic create)', () => {
      expect(backend().putIfAbsent).toBeUndefined();
    });
  }

  it('round-trips a 20 MiB object and reads a range deep inside it', async () => {
    const b = backend();
    const data = randomBytes(20 * 1024 * 1024);
    await b.put('large/pack', data);
    expect(await b.stat('large/pack')).toEqual({ size: data.length });
    expect(sha(await b.get('large/pack'))).toBe(sha(data));
    const off = 15 * 1024 * 1024 + 11;
    expect((await b.getRange('large/pack', off, 1024 * 1024)).equals(data.subarray(off, off + 1024 * 1024))).toBe(true);
    await b.delete('large/pack');
  });
}
