// Worker threads that open blobs for the read path (restore, readStream, check): one task = one
// byte range of a pack with the blobs in it; the range moves to the worker and the plaintexts come
// back without copies. Tasks go to the worker with the fewest bytes queued.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { OpenBlobSpec, OpenConsumedNote, OpenRangeReply } from '../../streams/open-worker.js';
import type { OutputArena } from './output-arena.js';
import { stopWorker } from '../../streams/worker-stop.js';

export type { OpenBlobSpec } from '../../streams/open-worker.js';

/**
 * A blob of the range could not be opened: `integrity` when its tag or format is wrong; `code`
 * (an errno code such as ENOSPC) when the worker could not write it to the output file.
 */
export class OpenError extends Error {
  constructor(
    readonly blob: number,
    readonly integrity: boolean,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'OpenError';
  }
}

/** Young generation of a read worker's heap, in MiB. */
const WORKER_YOUNG_GEN_MB = 4;

/**
 * Starts the worker thread `streams/<name>.js` (or, running from the TypeScript sources under
 * vitest/tsx, `streams/<name>.ts` with tsx's loader registered inside the worker first).
 */
export function spawnStreamWorker(name: string, options: WorkerOptions = {}): Worker {
  // The read-path workers allocate only small, short-lived objects on their heaps (the contents
  // live in ArrayBuffers outside them): a small young generation keeps their RSS down.
  options = { ...options, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GEN_MB, ...options.resourceLimits } };
  const js = new URL(`../../streams/${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, options);
  const ts = new URL(`../../streams/${name}.ts`, import.meta.url).href;
  const tsxRoot = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = pathToFileURL(path.join(tsxRoot, 'dist/esm/api/index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(ts)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** Opened blobs; `digests[i]`: block digests of blob i when it was verified (`verify`). */
export interface Opened {
  plains: Buffer[];
  digests: (Buffer | undefined)[];
}

const WRITTEN = Buffer.alloc(0);

type Pending = { resolve: (b: Opened) => void; reject: (e: Error) => void; worker: number; bytes: number; blobs: OpenBlobSpec[]; onConsumed?: () => void };

export class OpenPool {
  private readonly workers: Worker[] = [];
  private readonly queued: number[] = [];
  private readonly tasks: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly roomWaiters: { bytes: number; wake: () => void }[] = [];
  private seq = 0;
  private failure: Error | undefined;
  private closed = false;

  constructor(
    /** Shared output memory the workers write chunk contents into (see output-arena.ts). */
    readonly arena?: OutputArena,
    readonly size = Math.max(1, Math.min(os.availableParallelism(), 4)),
  ) {
    for (let i = 0; i < size; i++) {
      const w = spawnStreamWorker('open-worker');
      if (arena) w.postMessage({ init: arena.sab });
      w.on('message', (reply: OpenRangeReply | OpenConsumedNote) => this.onReply(reply));
      w.on('error', (err) => this.fail(err));
      // Idle workers must not keep the process alive.
      w.unref();
      this.workers.push(w);
      this.queued.push(0);
      this.tasks.push(0);
    }
  }

  /** Bytes of ranges sent and not answered yet. */
  get bytesQueued(): number {
    return this.queued.reduce((a, b) => a + b, 0);
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const w of this.roomWaiters.splice(0)) w.wake();
  }

  private wakeRoom(): void {
    const total = this.bytesQueued;
    for (let i = 0; i < this.roomWaiters.length; ) {
      if (total <= this.roomWaiters[i].bytes) this.roomWaiters.splice(i, 1)[0].wake();
      else i++;
    }
  }

  /** Resolves once at most `bytes` are queued at the workers (back-pressure for readers). */
  async room(bytes: number): Promise<void> {
    while (this.bytesQueued > bytes && !this.failure) await new Promise<void>((wake) => this.roomWaiters.push({ bytes, wake }));
  }

  private onReply(reply: OpenRangeReply | OpenConsumedNote): void {
    const p = this.pending.get(reply.seq);
    if (!p) return;
    if ('consumed' in reply) {
      // The worker is done with the task's input; its chunks are still being written.
      this.queued[p.worker] -= p.bytes;
      p.bytes = 0;
      this.wakeRoom();
      p.onConsumed?.();
      return;
    }
    this.pending.delete(reply.seq);
    this.queued[p.worker] -= p.bytes;
    if (--this.tasks[p.worker] === 0) this.workers[p.worker].unref();
    this.wakeRoom();
    if (!reply.ok) {
      p.reject(new OpenError(reply.blob, reply.integrity, reply.message, reply.code));
      return;
    }
    p.resolve({
      // A blob the worker wrote to the output file itself comes back empty.
      plains: reply.bufs.map((ab, i) =>
        ab ? Buffer.from(ab, reply.offs[i], reply.lens[i]) : p.blobs[i].write !== undefined ? WRITTEN : this.arena!.view(p.blobs[i].dst!, reply.lens[i]),
      ),
      digests: reply.digests.map((d) => (d ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : undefined)),
    });
  }

  /**
   * Opens the blobs of `data` (a range read from a pack). `data` is moved to the worker when it
   * owns its ArrayBuffer: the caller must not use it afterwards. A blob with `dst` ≥ 0 comes back
   * as a view of the arena at that offset.
   */
  async open(data: Buffer, blobs: OpenBlobSpec[]): Promise<Buffer[]> {
    return (await this.openVerified(data, blobs)).plains;
  }

  /**
   * As open(), with the block digests of the blobs opened with `verify`. Blobs with `write` are
   * written by the worker to `file` (at that offset) and come back empty; the promise resolves once
   * they are written. `onConsumed` runs as soon as the worker no longer reads `data` (before the
   * writes end; not at all on failure).
   */
  openVerified(data: Buffer, blobs: OpenBlobSpec[], file?: string, onConsumed?: () => void): Promise<Opened> {
    if (this.closed) return Promise.reject(new Error('open pool is closed'));
    if (this.failure) return Promise.reject(this.failure);
    let idx = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.queued[i] < this.queued[idx]) idx = i;
    const seq = ++this.seq;
    const bytes = data.length;
    this.queued[idx] += bytes;
    if (this.tasks[idx]++ === 0) this.workers[idx].ref();
    const result = new Promise<Opened>((resolve, reject) => this.pending.set(seq, { resolve, reject, worker: idx, bytes, blobs, onConsumed }));
    // Shared memory (the input arena) is shared with the worker, never moved.
    const owns = !(data.buffer instanceof SharedArrayBuffer) && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    this.workers[idx].postMessage({ seq, data, blobs, ...(file !== undefined ? { file } : {}) }, owns ? [data.buffer as ArrayBuffer] : []);
    return result;
  }

  /**
   * Lets every worker close its descriptor of `file`. Each worker handles it after the tasks
   * already sent to it, so call it once no more writes to the file will be sent.
   */
  closeFile(file: string): void {
    for (const w of this.workers) w.postMessage({ closeFile: file });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map(stopWorker));
  }
}
