// Writes large new files (packs) with O_DIRECT: the bytes go from an aligned staging buffer to the
// disk, not through the page cache. Why:
// - a backup of hundreds of GiB should not push the host's working set out of the page cache for
//   files nobody reads back soon;
// - on virtual machines a page-cache write can cost a new page per 4 KiB that the hypervisor faults
//   in, which makes buffered writes many times dearer in system time than direct ones.
//
// The staging buffer's aligned start is found at its first use (streams/aligned-buffer.ts).
// Offsets and lengths are kept to multiples of 4 KiB; the last partial block of a file is written
// through a second, ordinary descriptor.
import { constants as fsConstants, writeSync } from 'node:fs';
import fs from 'node:fs/promises';
import { alignedBuffer, DIRECT_ALIGN as ALIGN } from '../../../streams/aligned-buffer.js';

/** Bytes per direct write: large enough that the device sees few, big requests. */
const STAGE_BYTES = 2 * 1024 * 1024;
/** Files smaller than this are not worth a staging copy. */
export const DIRECT_MIN_BYTES = 256 * 1024;

export class DirectWriter {
  /** Aligned staging buffers not in use (one per concurrent write, kept for the next). */
  private readonly spare: Buffer[] = [];
  /** Cleared when the file system refuses O_DIRECT (ramfs, some network file systems). */
  private supported = true;

  /**
   * Writes `parts` (in order) as the new file `file`, then fsyncs it. `onCopied` runs once the
   * caller's buffers are no longer read. Returns false, having written nothing, when direct I/O
   * is not available there: the caller then writes the file the ordinary way.
   */
  async write(file: string, parts: Buffer[], onCopied?: () => void): Promise<boolean> {
    if (!this.supported) return false;
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_DIRECT, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
      // Some file systems (ramfs) create the file before they refuse O_DIRECT; O_EXCL means it
      // is ours to remove.
      await fs.unlink(file).catch(() => undefined);
      this.supported = false;
      return false;
    }
    let view = this.spare.pop();
    let tail: fs.FileHandle | undefined;
    try {
      // The trial writes one block at offset 0 of this new file, overwritten below.
      view ??= alignedBuffer(STAGE_BYTES, (buf, k) => writeSync(fh.fd, buf, k, ALIGN, 0));
      if (!view) {
        this.supported = false;
        await fs.unlink(file); // the descriptor is closed below
        return false;
      }
      const stage = view;
      let position = 0;
      let filled = 0;
      const flush = async (n: number): Promise<void> => {
        for (let at = 0; at < n; ) {
          const { bytesWritten } = await fh.write(stage, at, n - at, position + at);
          if (bytesWritten === 0) throw new Error('direct write wrote nothing');
          at += bytesWritten;
        }
        position += n;
      };
      for (const part of parts) {
        for (let at = 0; at < part.length; ) {
          const n = Math.min(part.length - at, STAGE_BYTES - filled);
          part.copy(stage, filled, at, at + n);
          filled += n;
          at += n;
          if (filled === STAGE_BYTES) {
            await flush(filled);
            filled = 0;
          }
        }
      }
      onCopied?.();
      const aligned = filled - (filled % ALIGN);
      if (aligned > 0) await flush(aligned);
      if (filled > aligned) {
        tail = await fs.open(file, 'r+');
        const rest = filled - aligned;
        for (let at = 0; at < rest; ) at += (await tail.write(stage, aligned + at, rest - at, position + at)).bytesWritten;
        await tail.sync();
      } else {
        await fh.sync();
      }
      return true;
    } finally {
      if (view) this.spare.push(view);
      await tail?.close();
      await fh.close();
    }
  }
}
