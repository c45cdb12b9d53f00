// Cuts a byte stream into fixed-size chunks (disk images, volumes): chunk i always covers
// [i*size, (i+1)*size), so a changed block only changes the chunk at the same offset and the
// parent snapshot's chunk at that offset is the natural delta base.
import type { Readable } from 'node:stream';

export const DEFAULT_FIXED_CHUNK_SIZE = 1 << 20;

/**
 * Yields chunks of exactly `size` bytes (the last one may be shorter). Each chunk is a fresh
 * Buffer with its own ArrayBuffer, so it can be transferred to a worker thread without a copy.
 */
export async function* fixedChunks(input: AsyncIterable<Uint8Array> | Readable, size = DEFAULT_FIXED_CHUNK_SIZE): AsyncGenerator<Buffer> {
  let current = Buffer.allocUnsafeSlow(size);
  let filled = 0;
  for await (const piece of input as AsyncIterable<Uint8Array>) {
    // Fast path (file reads with highWaterMark = size): an aligned piece that owns its whole
    // ArrayBuffer is the chunk itself — no copy, no extra allocation.
    if (filled === 0 && piece.length === size && piece.byteOffset === 0 && piece.buffer.byteLength === size && !(piece.buffer instanceof SharedArrayBuffer)) {
      yield Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, 0, size);
      continue;
    }
    let pos = 0;
    while (pos < piece.length) {
      const n = Math.min(size - filled, piece.length - pos);
      current.set(piece.subarray(pos, pos + n), filled);
      filled += n;
      pos += n;
      if (filled === size) {
        yield current;
        current = Buffer.allocUnsafeSlow(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield current.subarray(0, filled);
}
