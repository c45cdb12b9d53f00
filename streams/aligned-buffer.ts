// Buffers for O_DIRECT I/O. O_DIRECT wants the memory address, the file offset and the length
// aligned to the device's logical block size (512 bytes or 4 KiB). Node can neither allocate
// aligned memory nor tell a buffer's address, so a buffer is over-allocated by one alignment unit
// and its aligned start is found once by trial: the kernel refuses a misaligned direct write with
// EINVAL before it touches the file. Buffers do not move, so the answer holds for good.
//
// The trial must be a write: a direct read of a hole (a restore's output file, sized with
// ftruncate) is accepted from any address on ext4, so a read proves nothing.

/** Alignment of file offsets and lengths used with O_DIRECT (covers 512-byte and 4 KiB blocks). */
export const DIRECT_ALIGN = 4096;

/**
 * A view of `size` bytes of a fresh buffer whose start O_DIRECT accepts, or undefined when no start
 * is accepted. `trial(buf, k)` makes one direct write of DIRECT_ALIGN bytes from `buf` at offset
 * `k` — bytes that are right wherever it writes them (its own new file, or the block the caller
 * was about to write anyway, copied to `k` first) — and throws EINVAL when `k` is misaligned.
 */
export function alignedBuffer(size: number, trial: (buf: Buffer, k: number) => void): Buffer | undefined {
  const buf = Buffer.allocUnsafeSlow(size + DIRECT_ALIGN);
  // malloc aligns to 16 bytes: try each 16-byte step of one alignment unit.
  for (let k = 0; k < DIRECT_ALIGN; k += 16) {
    try {
      trial(buf, k);
      return buf.subarray(k, k + size);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    }
  }
  return undefined;
}
