// Pure helpers of the service clients and the inventory command.
import { describe, expect, it } from 'vitest';
import { propertyPatch, pointer } from '../../services/images/json-patch.js';
import { decodeHeaderValue, encodeHeaderValue, metadataFrom, metadataHeaders } from '../../services/objects/headers.js';
import { objectPath } from '../../services/objects/client.js';
import { versionedPath } from '../../services/common/api-path.js';
import { compareMicroversions } from '../../services/volumes/client.js';
import { InventoryCollector } from '../../services/common/inventory-collector.js';
import { mapLimit } from '../../services/common/limit.js';
import { countByKind, sortResources } from '../../src/inventory/counts.js';
import { formatBytes, formatRefs } from '../../src/inventory/render-text.js';

describe('image JSON-patch', () => {
  it('adds, replaces, removes and skips unchanged properties', () => {
    const ops = propertyPatch({ a: '1', b: '2', c: '3' }, { a: '1', b: 'x', c: null, d: '4', e: null });
    expect(ops).toEqual([
      { op: 'replace', path: '/b', value: 'x' },
      { op: 'remove', path: '/c' },
      { op: 'add', path: '/d', value: '4' },
    ]);
    expect(pointer('a/b~c')).toBe('/a~1b~0c');
  });
});

describe('Swift headers', () => {
  it('round-trips UTF-8 metadata through Node\'s latin1 header strings', () => {
    const wire = encodeHeaderValue('日本語 ünï');
    expect(/^[\x00-\xff]*$/.test(wire)).toBe(true);
    expect(decodeHeaderValue(wire)).toBe('日本語 ünï');
    expect(decodeHeaderValue('caf\xe9')).toBe('caf\xe9'); // genuine latin1 stays as is
  });

  it('reads and writes metadata headers', () => {
    expect(metadataFrom({ 'x-object-meta-color': 'blue', 'content-type': 'x', 'x-object-meta-Tag': 'a' }, 'object')).toEqual({ color: 'blue', tag: 'a' });
    expect(metadataHeaders('container', { Color: 'red' }, ['old'])).toEqual({ 'X-Container-Meta-Color': 'red', 'X-Remove-Container-Meta-old': 'x' });
    expect(metadataHeaders('object', { a: 'b' }, ['gone'])).toEqual({ 'X-Object-Meta-a': 'b' });
  });

  it('encodes object names per path segment', () => {
    expect(objectPath('my c', 'dir/日 本.txt')).toBe('/my%20c/dir/%E6%97%A5%20%E6%9C%AC.txt');
    expect(objectPath('c')).toBe('/c');
  });
});

describe('paths and versions', () => {
  it('adds the API version only when the endpoint lacks it', () => {
    expect(versionedPath({ endpoint: 'http://h:9292' }, '/v2', '/images')).toBe('/v2/images');
    expect(versionedPath({ endpoint: 'http://h:9292/v2/' }, '/v2', '/images')).toBe('/images');
  });

  it('compares microversions numerically', () => {
    expect(compareMicroversions('3.68', '3.7')).toBeGreaterThan(0);
    expect(compareMicroversions('3.0', '3.68')).toBeLessThan(0);
    expect(compareMicroversions('3.68', '3.68')).toBe(0);
  });
});

describe('inventory bookkeeping', () => {
  it('classifies failures: 403 → skipped (requires admin), 404 → not offered, else failed', () => {
    const c = new InventoryCollector('Nova');
    c.noteFailure('keypair', Object.assign(new Error('forbidden'), { statusCode: 403 }));
    c.noteFailure('qos_policy', Object.assign(new Error('nf'), { statusCode: 404 }));
    c.noteFailure('server', Object.assign(new Error('boom'), { statusCode: 500 }));
    c.noteFailure('server', Object.assign(new Error('boom'), { statusCode: 500 }));
    expect(c.skipped).toEqual([
      { kind: 'keypair', reason: 'requires admin (Nova answered 403 Forbidden)' },
      { kind: 'qos_policy', reason: 'not offered by this cloud (Nova answered 404)' },
    ]);
    expect(c.failed).toEqual([{ kind: 'server', reason: 'boom' }]);
  });

  it('counts per kind in canonical order, with listed-but-empty kinds at 0', () => {
    expect(countByKind([{ kind: 'object' }, { kind: 'network' }, { kind: 'object' }], ['server'])).toEqual({ network: 1, server: 0, object: 2 });
    expect(sortResources([{ kind: 'object', name: 'b', id: '2' }, { kind: 'network', name: 'z', id: '1' }, { kind: 'object', name: 'a', id: '3' }]).map((r) => r.id)).toEqual(['1', '3', '2']);
  });

  it('formats sizes and references for the table', () => {
    expect(formatBytes(undefined)).toBe('');
    expect(formatBytes(20)).toBe('20 B');
    expect(formatBytes(48 * 2 ** 20)).toBe('48.0 MiB');
    expect(formatBytes(2 ** 30)).toBe('1.0 GiB');
    const refs = Array.from({ length: 8 }, (_, i) => ({ kind: 'port' as const, id: `p${i}`, field: 'x' }));
    expect(formatRefs(refs)).toBe('port:p0, port:p1, port:p2, port:p3, port:p4, port:p5, +2 more');
  });

  it('mapLimit keeps order and bounds concurrency', async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, n * 3));
      active--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });
});
