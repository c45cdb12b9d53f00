// Where a restored chunk has data: its non-zero runs of 4 KiB blocks. A file restore writes only
// these, so the zero blocks stay holes in a file that was given its size with ftruncate.
import { BLOCK_SIZE } from './keyed-hash.js';
import { isAllZero } from './zero-detect.js';

/**
 * Non-zero runs of 4 KiB blocks within `buf`: [start, end) offsets relative to it. With the
 * chunk's block digests (keyed-hash.ts: 32 zero bytes stand for an all-zero block) no byte of the
 * content is compared again.
 */
export function dataRuns(buf: Uint8Array, digests?: Uint8Array): [number, number][] {
  const runs: [number, number][] = [];
  const useDigests = digests !== undefined && digests.length >= Math.ceil(buf.length / BLOCK_SIZE) * 32;
  let start = -1;
  for (let off = 0, block = 0; off < buf.length; off += BLOCK_SIZE, block++) {
    const end = Math.min(buf.length, off + BLOCK_SIZE);
    // Most data blocks have a non-zero first or last byte: only the others need the full compare.
    const zero = useDigests ? isZeroDigest(digests, block) : buf[off] === 0 && buf[end - 1] === 0 && isAllZero(buf.subarray(off, end));
    if (!zero && start < 0) start = off;
    if (zero && start >= 0) {
      runs.push([start, off]);
      start = -1;
    }
  }
  if (start >= 0) runs.push([start, buf.length]);
  return runs;
}

function isZeroDigest(digests: Uint8Array, block: number): boolean {
  for (let i = block * 32, end = i + 32; i < end; i++) if (digests[i] !== 0) return false;
  return true;
}
