import { describe, expect, it } from 'vitest';
import { checkKey, encodeObjectPath, normalisePrefix } from '../../../src/repository/backends/object-store-keys.js';

describe('object-store keys', () => {
  it('normalises URL paths into prefixes', () => {
    expect(normalisePrefix('')).toBe('');
    expect(normalisePrefix('/')).toBe('');
    expect(normalisePrefix('/a/b')).toBe('a/b/');
    expect(normalisePrefix('//a/b//')).toBe('a/b/');
    expect(normalisePrefix('/with%20space')).toBe('with space/');
  });

  it('encodes each segment per RFC 3986 and keeps the slashes', () => {
    expect(encodeObjectPath("data/ab/a b+c!'()*ü")).toBe('data/ab/a%20b%2Bc%21%27%28%29%2A%C3%BC');
  });

  it('rejects keys that could leave the prefix', () => {
    for (const bad of ['', '/abs', 'a/../b', '..', 'a\\b', './x']) expect(() => checkKey(bad)).toThrow(/invalid object key/);
    expect(() => checkKey('data/ab/abcdef')).not.toThrow();
  });
});
