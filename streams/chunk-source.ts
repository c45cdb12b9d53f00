// Where a stream's bytes come from on the backup path: read straight into a caller's buffer (a
// region of the shared ring), so no buffer is allocated per read. A file is read with positioned
// reads; any other stream (stdin, an HTTP download) is copied piece by piece.
import { ReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { copyBytes } from './copy-bytes.js';

/**
 * Reading the input file failed (EIO from a failing disk, EACCES, a file cut short under us): the
 * input's fault, not the repository's, so callers can say so. Keeps the errno `code`.
 */
export class InputReadError extends Error {
  readonly code?: string;

  constructor(cause: unknown) {
    super((cause as Error).message, { cause });
    this.name = 'InputReadError';
    this.code = (cause as NodeJS.ErrnoException).code;
  }
}

export interface ChunkSource {
  /** Fills `into` completely, or up to the end of the data; returns the bytes read (0 = end). */
  read(into: Uint8Array): Promise<number>;
  close(): Promise<void>;
  /**
   * Set for a file (or block device): its descriptor, so that workers may read it themselves with
   * positioned reads (the main thread then never calls read()). It stays open until close().
   */
  readonly file?: { fd: number };
}

/** Reads a file from its start with positioned reads. */
export async function fileSource(path: string | Buffer): Promise<ChunkSource> {
  const fh = await fs.open(path, 'r');
  let position = 0;
  return {
    file: { fd: fh.fd },
    async read(into) {
      let got = 0;
      while (got < into.length) {
        const { bytesRead } = await fh.read(into, got, into.length - got, position).catch((err: unknown) => {
          throw new InputReadError(err);
        });
        if (bytesRead === 0) break;
        got += bytesRead;
        position += bytesRead;
      }
      return got;
    },
    close: () => fh.close(),
  };
}

/** Copies the pieces of any byte stream into the caller's buffers. */
export function iterableSource(input: AsyncIterable<Uint8Array> | Readable): ChunkSource {
  const it = (input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  let piece: Uint8Array | undefined;
  let pos = 0;
  let done = false;
  return {
    async read(into) {
      let got = 0;
      while (got < into.length && !done) {
        if (!piece || pos >= piece.length) {
          const next = await it.next();
          if (next.done) {
            done = true;
            break;
          }
          piece = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
          pos = 0;
          continue;
        }
        const n = Math.min(into.length - got, piece.length - pos);
        // `into` is usually a region of the shared ring: memcpy, not V8's relaxed copy (copy-bytes.ts).
        copyBytes(piece.subarray(pos, pos + n), Buffer.from(into.buffer, into.byteOffset, into.byteLength), got);
        got += n;
        pos += n;
      }
      return got;
    },
    async close() {
      if (!done) await it.return?.();
    },
  };
}

/**
 * The best source for `data`: a file read stream that has not started yet (fs.createReadStream of
 * a whole file) is replaced by positioned reads of that file; anything else is iterated.
 */
export async function sourceOf(data: AsyncIterable<Uint8Array> | Readable): Promise<ChunkSource> {
  if (data instanceof ReadStream) {
    const rs = data as ReadStream & { start?: number; end?: number };
    const untouched = rs.bytesRead === 0 && (rs.start === undefined || rs.start === 0) && (rs.end === undefined || rs.end === Infinity);
    const st = untouched && (typeof rs.path === 'string' || Buffer.isBuffer(rs.path)) ? await fs.stat(rs.path).catch(() => undefined) : undefined;
    // Positioned reads need a seekable file: not a pipe or a character device.
    if (st && (st.isFile() || st.isBlockDevice()) && !rs.readableFlowing && rs.readableLength === 0 && rs.bytesRead === 0) {
      const source = await fileSource(rs.path);
      rs.destroy();
      return source;
    }
  }
  return iterableSource(data);
}
