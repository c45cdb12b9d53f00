// A fixed block of shared memory for chunk contents on the read path. The read workers decompress
// straight into it and the main thread writes from it, so restore memory is this block plus the
// ranges in flight, whatever the stream's size — no per-chunk buffers for the collector, no
// fragmentation of the threads' malloc arenas (observed: ~100 MiB of RSS before).
// Allocation is first-fit over a sorted free list (4 KiB granules); waiters are served in order.

const GRANULE = 4096;

export class OutputArena {
  readonly sab: SharedArrayBuffer;
  /** Free extents [start, end), sorted, coalesced. */
  private readonly free: [number, number][];
  private readonly waiters: { sizes: number[]; resolve: (offs: number[]) => void }[] = [];

  constructor(readonly size: number) {
    this.size = Math.ceil(size / GRANULE) * GRANULE;
    this.sab = new SharedArrayBuffer(this.size);
    this.free = [[0, this.size]];
  }

  /**
   * Largest single allocation this arena serves (bigger contents get their own buffers). Half the
   * arena: with the 8 MiB restore arena every content-defined chunk (≤ 4 MiB) fits. At a quarter,
   * the CDC chunks above 2 MiB got their own buffers and a 1 GiB CDC restore peaked at 232 MiB RSS
   * instead of 138 MiB (fixed-size 1 MiB chunks: 130 MiB either way).
   */
  get maxSlot(): number {
    return this.size / 2;
  }

  private take(size: number): number | undefined {
    const need = Math.ceil(size / GRANULE) * GRANULE;
    for (let i = 0; i < this.free.length; i++) {
      const [s, e] = this.free[i];
      if (e - s < need) continue;
      if (e - s === need) this.free.splice(i, 1);
      else this.free[i][0] = s + need;
      return s;
    }
    return undefined;
  }

  private give(off: number, size: number): void {
    const end = off + Math.ceil(size / GRANULE) * GRANULE;
    let i = 0;
    while (i < this.free.length && this.free[i][0] < off) i++;
    this.free.splice(i, 0, [off, end]);
    // Coalesce with the neighbours.
    if (i + 1 < this.free.length && this.free[i][1] === this.free[i + 1][0]) {
      this.free[i][1] = this.free[i + 1][1];
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1][1] === this.free[i][0]) {
      this.free[i - 1][1] = this.free[i][1];
      this.free.splice(i, 1);
    }
  }

  private tryAll(sizes: number[]): number[] | undefined {
    const offs: number[] = [];
    for (const s of sizes) {
      const o = this.take(s);
      if (o === undefined) {
        for (let i = 0; i < offs.length; i++) this.give(offs[i], sizes[i]);
        return undefined;
      }
      offs.push(o);
    }
    return offs;
  }

  /** Allocates all sizes at once (each ≤ maxSlot, together ≤ size), waiting in line for room. */
  alloc(sizes: number[]): Promise<number[]> {
    if (this.waiters.length === 0) {
      const offs = this.tryAll(sizes);
      if (offs) return Promise.resolve(offs);
    }
    return new Promise((resolve) => this.waiters.push({ sizes, resolve }));
  }

  release(off: number, size: number): void {
    this.give(off, size);
    while (this.waiters.length > 0) {
      const offs = this.tryAll(this.waiters[0].sizes);
      if (!offs) break;
      this.waiters.shift()!.resolve(offs);
    }
  }

  /** Bytes free (for tests). */
  get available(): number {
    return this.free.reduce((n, [s, e]) => n + e - s, 0);
  }

  view(off: number, length: number): Buffer {
    return Buffer.from(this.sab, off, length);
  }
}
