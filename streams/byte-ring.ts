// A fixed ring of bytes (one SharedArrayBuffer) that holds the chunks in flight on the backup path.
// The main thread reads source data straight into a region, the workers hash and seal it in place
// (the sealed blob overwrites the chunk, which it never exceeds by more than SEAL_SLACK bytes), and
// the pack writer copies the sealed blob out. So no chunk-sized buffer is allocated per chunk on
// any thread: memory is the ring whatever the input size, and there is no garbage to collect.
//
// Regions are allocated in FIFO order and may be freed in any order; the space of a freed region
// is reused once every older region is freed too (chunks finish roughly in stream order).

/** Room a region keeps beyond its chunk for the blob envelope (nonce, mode byte, tag). */
export const SEAL_SLACK = 64;

interface Region {
  off: number;
  end: number;
  freed: boolean;
}

export class ByteRing {
  readonly sab: SharedArrayBuffer;
  private readonly regions: Region[] = [];
  private head = 0;
  private readonly byOffset = new Map<number, Region>();
  private waiters: (() => void)[] = [];

  constructor(readonly capacity: number) {
    this.sab = new SharedArrayBuffer(capacity);
  }

  /** Regions allocated and not freed yet. */
  get liveRegions(): number {
    return this.byOffset.size;
  }

  /** Offset of a new region of `len` bytes, or undefined when the ring has no contiguous room now. */
  tryAlloc(len: number): number | undefined {
    if (len > this.capacity || len <= 0) throw new Error(`cannot allocate ${len} bytes in a ring of ${this.capacity}`);
    let off: number | undefined;
    if (this.head === this.regions.length) {
      off = 0;
    } else {
      const first = this.regions[this.head].off;
      const last = this.regions[this.regions.length - 1];
      if (last.off >= first) {
        // Not wrapped: used [first, last.end); room at the end, else at the start.
        if (this.capacity - last.end >= len) off = last.end;
        else if (first >= len) off = 0;
      } else if (first - last.end >= len) {
        // Wrapped: used [first, …) and [0, last.end); room in between.
        off = last.end;
      }
    }
    if (off === undefined) return undefined;
    const r: Region = { off, end: off + len, freed: false };
    this.regions.push(r);
    this.byOffset.set(off, r);
    return off;
  }

  /** Shrinks the newest region (a short last read), so its unused tail is available again. */
  shrinkLast(off: number, len: number): void {
    const last = this.regions[this.regions.length - 1];
    if (!last || last.off !== off || last.freed) throw new Error(`region ${off} is not the newest live region`);
    if (len <= 0 || off + len > last.end) throw new Error(`cannot shrink region ${off} to ${len} bytes`);
    last.end = off + len;
  }

  free(off: number): void {
    const r = this.byOffset.get(off);
    if (!r) throw new Error(`region ${off} is not allocated`);
    this.byOffset.delete(off);
    r.freed = true;
    while (this.head < this.regions.length && this.regions[this.head].freed) this.head++;
    if (this.head > 64 && this.head * 2 > this.regions.length) {
      this.regions.splice(0, this.head);
      this.head = 0;
    }
    if (this.head === this.regions.length) {
      this.regions.length = 0;
      this.head = 0;
    }
    const wake = this.waiters;
    this.waiters = [];
    for (const w of wake) w();
  }

  /** Resolves at the next free() (callers retry tryAlloc). */
  freed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  view(off: number, len: number): Buffer {
    return Buffer.from(this.sab, off, len);
  }
}
