// Which fixed-size chunks of a sparse file lie wholly in a hole: those are zero runs a backup
// records without reading them. A VM disk image is often a sparse file (40 % of the benchmark
// image is holes); reading a hole costs a copy of zeros from the kernel plus a check that they are
// zeros, for every byte. Needs lseek(SEEK_DATA) from the native addon (native.ts); without it, or
// for anything but a regular file, every chunk is read as before.
import { fstatSync } from 'node:fs';
import { nativeDataExtent } from './native.js';

export class HoleMap {
  /** The data extent known at or after the last position asked: [start, end); start = Infinity when none follows. */
  private dataStart = 0;
  private dataEnd = 0;
  private size: number | undefined;
  private broken = false;

  private constructor(private readonly fd: number) {}

  /** A map of `fd`'s holes, or undefined when they cannot be known (not a regular file, no addon). */
  static of(fd: number): HoleMap | undefined {
    if (!nativeDataExtent) return undefined;
    try {
      return fstatSync(fd).isFile() ? new HoleMap(fd) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The length of the chunk at [pos, pos + len) when it is all hole (shorter at the end of the file,
   * 0 past it), or undefined when it holds data and must be read. Positions must not go backwards.
   */
  holeChunk(pos: number, len: number): number | undefined {
    if (this.broken) return undefined;
    try {
      if (pos >= this.dataEnd) {
        const extent = nativeDataExtent!(this.fd, pos);
        [this.dataStart, this.dataEnd] = extent ?? [Infinity, Infinity];
      }
      if (this.dataStart < pos + len) return undefined;
      if (this.dataStart !== Infinity) return len; // data follows: the hole lies inside the file
      // A trailing hole (or the end): the file's size says where the stream ends.
      this.size ??= fstatSync(this.fd).size;
      return Math.max(0, Math.min(len, this.size - pos));
    } catch {
      // lseek failed (a file system without SEEK_DATA support says so with EINVAL): read everything.
      this.broken = true;
      return undefined;
    }
  }
}
