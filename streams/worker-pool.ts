// A fixed pool of worker threads for the CPU-heavy part of the data path (zstd + AES-GCM).
// Back-pressure: at most `maxQueued` tasks are in flight; submit() waits for a free slot, so a fast
// reader can never pile up unbounded chunks in memory.
import os from 'node:os';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BlobIntegrityError } from './blob-crypto.js';
import { ByteRing } from './byte-ring.js';
import type { DropMessage, PoolReply, PoolTask } from './seal-worker.js';

type Pending = { resolve: (b: Buffer) => void; reject: (e: Error) => void; worker: number };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function spawnWorker(): Worker {
  const js = new URL('./seal-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js);
  // Running from the TypeScript sources (tests through vitest/tsx): a tiny bootstrap registers
  // tsx's loader inside the worker, then loads the TypeScript worker module.
  const ts = new URL('./seal-worker.ts', import.meta.url).href;
  const tsxRoot = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = pathToFileURL(path.join(tsxRoot, 'dist/esm/api/index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(ts)}); });`;
  return new Worker(bootstrap, { eval: true });
}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly waiters: (() => void)[] = [];
  private seq = 0;
  private closed = false;
  private ringInstance: ByteRing | undefined;
  private failure: Error | undefined;

  constructor(
    readonly size = Math.max(1, Math.min(os.availableParallelism(), 8)),
    private readonly maxQueued = size * 3,
  ) {
    for (let i = 0; i < size; i++) {
      const w = spawnWorker();
      w.on('message', (reply: PoolReply) => this.onReply(i, reply));
      w.on('error', (err) => this.fail(err));
      // Idle workers must not keep the process alive; busy ones must (see run()/onReply()).
      w.unref();
      this.workers.push(w);
      this.load.push(0);
    }
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const wake of this.waiters.splice(0)) wake();
  }

  private onReply(worker: number, reply: PoolReply): void {
    const p = this.pending.get(reply.seq);
    if (!p) return;
    this.pending.delete(reply.seq);
    this.load[worker]--;
    if (this.load[worker] === 0) this.workers[worker].unref();
    this.waiters.shift()?.();
    if (reply.ok) p.resolve(Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength));
    else p.reject(reply.integrity ? new BlobIntegrityError(reply.message) : new Error(reply.message));
  }

  /**
   * The shared ring of chunks in flight (one per pool, so concurrent streams share one memory
   * bound). Created at first use with at least `capacity` bytes.
   */
  ring(capacity: number): ByteRing {
    if (!this.ringInstance || (this.ringInstance.capacity < capacity && this.ringInstance.liveRegions === 0)) {
      this.ringInstance = new ByteRing(Math.max(capacity, this.ringInstance?.capacity ?? 0));
    }
    return this.ringInstance;
  }

  /** Waits until a slot is free; call before producing the next chunk to keep memory bounded. */
  async slot(): Promise<void> {
    while (this.pending.size >= this.maxQueued && !this.failure) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.failure) throw this.failure;
  }

  /**
   * Runs one task on the least loaded worker. With `transfer`, the data's ArrayBuffer moves to the
   * worker (no copy; the caller must not touch it afterwards).
   */
  async run(task: DistributiveOmit<PoolTask, 'seq'>, transfer = false): Promise<Buffer> {
    return (await this.runPinned(task, transfer)).result;
  }

  /** Like run(), and tells which worker took the task (for follow-ups on a held chunk). */
  async runPinned(task: DistributiveOmit<PoolTask, 'seq'>, transfer = false, worker?: number): Promise<{ worker: number; result: Promise<Buffer> }> {
    if (this.closed) throw new Error('worker pool is closed');
    await this.slot();
    const seq = ++this.seq;
    let idx = worker ?? 0;
    if (worker === undefined) for (let i = 1; i < this.load.length; i++) if (this.load[i] < this.load[idx]) idx = i;
    if (this.load[idx]++ === 0) this.workers[idx].ref();
    const result = new Promise<Buffer>((resolve, reject) => this.pending.set(seq, { resolve, reject, worker: idx }));
    const data = (task as { data?: Uint8Array }).data;
    const ownsBuffer = data !== undefined && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    const list = transfer && ownsBuffer ? [data.buffer as ArrayBuffer] : [];
    this.workers[idx].postMessage({ ...task, seq }, list);
    return { worker: idx, result };
  }

  /** Runs a follow-up task on a given worker. */
  async runOn(worker: number, task: DistributiveOmit<PoolTask, 'seq'>): Promise<Buffer> {
    return (await this.runPinned(task, false, worker)).result;
  }

  /** Fire-and-forget message to one worker (drop a held chunk). */
  post(worker: number, msg: DropMessage): void {
    this.workers[worker].postMessage(msg);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
