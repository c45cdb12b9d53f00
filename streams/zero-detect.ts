// Recognises all-zero data cheaply (memcmp against a shared zero page), so zero runs in sparse
// disks cost neither hashing, storage nor upload, and restore can write them as holes.
export const ZERO_PAGE_SIZE = 1 << 20;
const zeroPage = Buffer.alloc(ZERO_PAGE_SIZE);

/** True when every byte of `buf` is 0. */
export function isAllZero(buf: Uint8Array): boolean {
  const view = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let off = 0; off < view.length; off += ZERO_PAGE_SIZE) {
    const len = Math.min(ZERO_PAGE_SIZE, view.length - off);
    if (!view.subarray(off, off + len).equals(zeroPage.subarray(0, len))) return false;
  }
  return true;
}

/** A read-only view of `length` zero bytes (≤ 1 MiB) without allocating; callers must not write to it. */
export function zeroBytes(length: number): Buffer {
  if (length <= ZERO_PAGE_SIZE) return zeroPage.subarray(0, length);
  return Buffer.alloc(length);
}
