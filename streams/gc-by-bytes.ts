// Read-path memory: chunk buffers are large ArrayBuffers that die young while the JavaScript heaps
// stay tiny, so V8 seldom collects and dead buffers pile up (on restore, tens of MiB per thread).
// Counting the bytes that passed through and running a young-generation collection (a cheap
// scavenge) every `every` bytes keeps RSS near the live set.
import { collectGarbage } from './gc-hint.js';

export class GcByBytes {
  private bytes = 0;
  private count = 0;

  /** `every` bytes per scavenge; every `majorEvery`-th collection is a full one. */
  constructor(
    private readonly every: number,
    private readonly majorEvery = 16,
  ) {}

  add(n: number): void {
    this.bytes += n;
    if (this.every <= 0 || this.bytes < this.every) return;
    this.bytes = 0;
    collectGarbage(++this.count % this.majorEvery === 0 ? 'major' : 'minor');
  }
}
