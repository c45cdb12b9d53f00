import { describe, expect, it } from 'vitest';
import { chooseMicroversion, compareMicroversions, microversionHeaders, rangeFromVersionDocument, versionRootOf } from '../../src/http/microversion.js';
import { ConfigError } from '../../src/errors.js';

describe('microversions', () => {
  it('compares numerically', () => {
    expect(compareMicroversions('2.9', '2.10')).toBeLessThan(0);
    expect(compareMicroversions('3.0', '2.93')).toBeGreaterThan(0);
    expect(compareMicroversions('2.79', '2.79')).toBe(0);
    expect(() => compareMicroversions('latest', '2.1')).toThrow(ConfigError);
  });
  it('finds the version document below the endpoint', () => {
    expect(versionRootOf('http://127.0.0.1:8774/v2.1')).toBe('http://127.0.0.1:8774/v2.1/');
    expect(versionRootOf('http://127.0.0.1:8776/v3/b25f6ae43b2340c9')).toBe('http://127.0.0.1:8776/v3/');
    expect(versionRootOf('https://cloud.example/compute/v2.1/abc')).toBe('https://cloud.example/compute/v2.1/');
    expect(versionRootOf('https://cloud.example/compute')).toBe('https://cloud.example/compute/');
  });
  it('reads nova and cinder version documents', () => {
    const nova = { version: { id: 'v2.1', status: 'CURRENT', version: '2.93', min_version: '2.1' } };
    expect(rangeFromVersionDocument(nova, 'http://n/v2.1')).toEqual({ min: '2.1', max: '2.93' });
    const cinder = { versions: [{ id: 'v3.0', status: 'CURRENT', version: '3.70', min_version: '3.0' }] };
    expect(rangeFromVersionDocument(cinder, 'http://c/v3/p')).toEqual({ min: '3.0', max: '3.70' });
    const root = { versions: [{ id: 'v2.0', version: '', min_version: '' }, { id: 'v2.1', version: '2.60', min_version: '2.1', status: 'CURRENT' }] };
    expect(rangeFromVersionDocument(root, 'http://n/v2.1')).toEqual({ min: '2.1', max: '2.60' });
    expect(rangeFromVersionDocument({ version: { id: 'v2.0', version: '', min_version: '' } }, 'http://n/v2')).toBeUndefined();
  });
  it('picks min(wanted, server max) and refuses when the cloud is too old', () => {
    const range = { min: '2.1', max: '2.93' };
    expect(chooseMicroversion({ service: 'compute', endpoint: 'e', range })).toBe('2.93');
    expect(chooseMicroversion({ service: 'compute', endpoint: 'e', range, wanted: '2.79' })).toBe('2.79');
    expect(chooseMicroversion({ service: 'compute', endpoint: 'e', range, wanted: '2.100' })).toBe('2.93');
    expect(chooseMicroversion({ service: 'compute', endpoint: 'e', range, wanted: '2.79', required: '2.60' })).toBe('2.79');
    expect(() => chooseMicroversion({ service: 'compute', endpoint: 'http://n/v2.1', range, required: '9.99' })).toThrow(
      'compute at http://n/v2.1 supports microversions 2.1–2.93, but permafrost needs compute 9.99 or newer; the cloud is too old for this operation',
    );
    expect(() => chooseMicroversion({ service: 'volume', endpoint: 'e', range: undefined, required: '3.1' })).toThrow(/does not support microversions/);
    expect(chooseMicroversion({ service: 'volume', endpoint: 'e', range: undefined })).toBeUndefined();
  });
  it('builds headers', () => {
    expect(microversionHeaders('compute', '2.79')).toEqual({ 'OpenStack-API-Version': 'compute 2.79', 'X-OpenStack-Nova-API-Version': '2.79' });
    expect(microversionHeaders('volume', '3.70')).toEqual({ 'OpenStack-API-Version': 'volume 3.70' });
    expect(microversionHeaders('volume', undefined)).toEqual({});
  });
});
