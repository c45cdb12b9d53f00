// Copies between buffers when either side may live in a SharedArrayBuffer (the backup ring, the
// restore arena). V8 copies into or out of shared memory with relaxed atomic moves (Buffer#copy
// and TypedArray#set both end there), byte by byte when source and target are not equally
// aligned, several times slower than memcpy (ciphertext is written 13 bytes into a ring region, and
// sealed blobs are copied into the filling pack, so this path is hot). Buffer#fill with a buffer
// exactly as long as the range is one memcpy in Node.

/** Copies all of `src` into `dst` at `dstOff` (the two must not overlap); returns src.length. */
export function copyBytes(src: Uint8Array, dst: Buffer, dstOff: number): number {
  const n = src.length;
  if (n === 0) return 0;
  if (dstOff < 0 || dstOff + n > dst.length) throw new RangeError(`cannot copy ${n} bytes to offset ${dstOff} of a ${dst.length}-byte buffer`);
  dst.fill(src, dstOff, dstOff + n);
  return n;
}
