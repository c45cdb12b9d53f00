// Bounded memory on the data path: chunk buffers are large ArrayBuffers that die young, while the
// JavaScript heaps of the main thread and the workers stay tiny — so V8 rarely collects, and each
// isolate can carry tens of MiB of dead chunk buffers (observed: +100 MiB RSS over the live set).
// A periodic explicit collection of these small heaps (about a millisecond) keeps RSS close to the live set.
import v8 from 'node:v8';
import vm from 'node:vm';

type GcFn = (opts?: { type: 'minor' | 'major' }) => void;
let gcFn: GcFn | null | undefined;

/** Runs a collection of the given type; a no-op where gc() cannot be obtained. */
export function collectGarbage(type: 'minor' | 'major'): void {
  if (gcFn === undefined) gcFn = resolveGc();
  gcFn?.({ type });
}

function resolveGc(): GcFn | null {
  const existing = (globalThis as { gc?: GcFn }).gc;
  if (typeof existing === 'function') return existing;
  try {
    v8.setFlagsFromString('--expose-gc');
    // A fresh context sees the flag and exposes gc().
    const fn = vm.runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as GcFn) : null;
  } catch {
    return null;
  }
}

/** Collects garbage every `every` calls (no-op where gc cannot be obtained, or every ≤ 0). */
export class GcHint {
  private count = 0;
  private readonly every: number;
  /**
   * `minor` collects only the young generation (a scavenge: well under a millisecond on these
   * small heaps); it frees short-lived buffers such as per-piece ciphertext.
   */
  constructor(
    every: number,
    private readonly type: 'minor' | 'major' = 'major',
  ) {
    // PERMAFROST_GC_EVERY tunes (or with 0 disables) the collection interval, in chunks.
    const env = process.env.PERMAFROST_GC_EVERY;
    this.every = env !== undefined && env !== '' && Number.isFinite(Number(env)) ? Number(env) : every;
  }

  tick(): void {
    if (this.every <= 0 || ++this.count % this.every !== 0) return;
    collectGarbage(this.type);
  }
}
