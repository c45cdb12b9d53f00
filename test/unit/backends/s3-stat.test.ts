// The object size behind S3Backend.stat(): a one-byte ranged GET (Swift's s3api cannot answer a
// HEAD 404 cleanly), read from whichever answer the server gives.
import { describe, expect, it } from 'vitest';
import { PermafrostError } from '../../../src/errors.js';
import { sizeFromRangedGet } from '../../../src/repository/backends/s3.js';

describe('S3 stat by ranged GET', () => {
  it('reads the total from Content-Range of a 206', () => {
    expect(sizeFromRangedGet(206, 'bytes 0-0/123456', '1', 1)).toBe(123456);
  });

  it('takes an unsatisfiable range as an empty object (with or without "bytes */0")', () => {
    expect(sizeFromRangedGet(416, 'bytes */0', undefined, 200)).toBe(0);
    expect(sizeFromRangedGet(416, undefined, '212', 212)).toBe(0);
  });

  it('uses the length of a 200 from a server that ignores Range', () => {
    expect(sizeFromRangedGet(200, undefined, '5', 5)).toBe(5);
    expect(sizeFromRangedGet(200, undefined, undefined, 7)).toBe(7);
  });

  it('refuses to guess when a 206 does not say the size', () => {
    expect(() => sizeFromRangedGet(206, undefined, '1', 1)).toThrow(PermafrostError);
  });
});
