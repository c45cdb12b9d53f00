// copyBytes: one memcpy into or out of shared memory at any alignment (V8's own copy is bytewise
// there), exact bounds, nothing written outside the range.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { copyBytes } from '../../streams/copy-bytes.js';

describe('copyBytes', () => {
  it('copies into and out of a SharedArrayBuffer at unaligned offsets', () => {
    const shared = Buffer.from(new SharedArrayBuffer(64 * 1024)).fill(0xaa);
    const src = crypto.randomBytes(40_001);
    expect(copyBytes(src, shared, 13)).toBe(src.length);
    expect(shared.subarray(13, 13 + src.length).equals(src)).toBe(true);
    expect(shared[12]).toBe(0xaa);
    expect(shared[13 + src.length]).toBe(0xaa);
    const plain = Buffer.alloc(50_000, 0x55);
    expect(copyBytes(shared.subarray(13, 13 + src.length), plain, 5)).toBe(src.length);
    expect(plain.subarray(5, 5 + src.length).equals(src)).toBe(true);
    expect(plain[4]).toBe(0x55);
    expect(plain[5 + src.length]).toBe(0x55);
  });

  it('copies nothing for an empty source and refuses a range past the end', () => {
    const dst = Buffer.alloc(16, 1);
    expect(copyBytes(Buffer.alloc(0), dst, 16)).toBe(0);
    expect(dst.equals(Buffer.alloc(16, 1))).toBe(true);
    expect(() => copyBytes(Buffer.alloc(8), dst, 9)).toThrow(RangeError);
    expect(() => copyBytes(Buffer.alloc(8), dst, -1)).toThrow(RangeError);
  });
});
