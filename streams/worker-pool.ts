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
import type { AttachMessage, DropMessage, PoolReply, PoolTask } from './seal-worker.js';
import { stopWorker } from './worker-stop.js';

type Pending = { resolve: (b: Buffer) => void; reject: (e: Error) => void; worker: number; unthrottled?: boolean };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Young generation of a worker's heap: the workers allocate only small, short-lived objects (chunk
 * data lives in the shared ring and in native buffers), so a few MiB of semi-space are plenty and
 * keep each worker's resident memory small.
 */
const WORKER_YOUNG_GEN_MB = 4;

function spawnWorker(name = 'seal-worker'): Worker {
  const resourceLimits = { maxYoungGenerationSizeMb: WORKER_YOUNG_GEN_MB };
  const js = new URL(`./${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { resourceLimits });
  // Running from the TypeScript sources (tests through vitest/tsx): a tiny bootstrap registers
  // tsx's loader inside the worker, then loads the TypeScript worker module.
  const ts = new URL(`./${name}.ts`, import.meta.url).href;
  const tsxRoot = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = pathToFileURL(path.join(tsxRoot, 'dist/esm/api/index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(ts)}); });`;
  return new Worker(bootstrap, { eval: true, resourceLimits });
}

/**
 * Whole-stream SHA-256 of a backup, computed off the main thread by one worker of the pool (the
 * hash state lives there; a worker handles its messages in order) from regions of the shared ring,
 * in the order update() is called. A region must stay untouched (not freed, not sealed over) until
 * the promise of its update() resolves. Hash tasks do not count against the pool's back-pressure
 * (they are small and must never wait behind the chunks they gate).
 */
export class StreamHash {
  private ended = false;

  constructor(
    private readonly pool: WorkerPool,
    readonly id: number,
    private readonly worker: number,
  ) {
    this.pool.runUnthrottled(worker, { op: 'hash-begin', stream: id }).catch(() => undefined);
  }

  async update(off: number, len: number): Promise<void> {
    if (this.ended) throw new Error('stream hash already ended');
    await this.pool.runUnthrottled(this.worker, { op: 'hash-update', stream: this.id, ring: this.pool.currentRingId, off, len });
  }

  async digest(): Promise<string> {
    this.ended = true;
    return (await this.pool.runUnthrottled(this.worker, { op: 'hash-end', stream: this.id })).toString('hex');
  }

  /** Forgets the stream (after a failure). */
  abort(): void {
    if (this.ended) return;
    this.ended = true;
    this.pool.runUnthrottled(this.worker, { op: 'hash-end', stream: this.id }).catch(() => undefined);
  }
}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly waiters: (() => void)[] = [];
  private seq = 0;
  private closed = false;
  private ringInstance: ByteRing | undefined;
  private ringId = 0;
  private readonly keyIds = new Map<string, number>();
  private hashSeq = 0;
  /** Tasks in flight that do not count against `maxQueued` (stream hash steps). */
  private unthrottled = 0;
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
    this.unthrottled = 0;
    for (const wake of this.waiters.splice(0)) wake();
  }

  private onReply(worker: number, reply: PoolReply): void {
    const p = this.pending.get(reply.seq);
    if (!p) return;
    this.pending.delete(reply.seq);
    if (p.unthrottled) this.unthrottled--;
    this.load[worker]--;
    if (this.load[worker] === 0) this.workers[worker].unref();
    this.waiters.shift()?.();
    if (reply.ok) p.resolve(Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength));
    else if (reply.integrity) p.reject(new BlobIntegrityError(reply.message));
    else p.reject(Object.assign(new Error(reply.message), reply.code ? { code: reply.code } : {}));
  }

  /**
   * The shared ring of chunks in flight (one per pool, so concurrent streams share one memory
   * bound). Created at first use with at least `capacity` bytes.
   */
  ring(capacity: number): ByteRing {
    if (!this.ringInstance || (this.ringInstance.capacity < capacity && this.ringInstance.liveRegions === 0)) {
      const ring = new ByteRing(Math.max(capacity, this.ringInstance?.capacity ?? 0));
      this.ringInstance = ring;
      this.ringId++;
      this.broadcast({ op: 'attach-ring', id: this.ringId, sab: ring.sab });
    }
    return this.ringInstance;
  }

  /** Number that names the current ring in ring tasks. */
  get currentRingId(): number {
    return this.ringId;
  }

  /** Number that names `key` in ring tasks; the key is sent to every worker at first use. */
  keyRef(key: Uint8Array): number {
    const hex = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
    let id = this.keyIds.get(hex);
    if (id === undefined) {
      id = this.keyIds.size + 1;
      this.keyIds.set(hex, id);
      this.broadcast({ op: 'attach-key', id, key: new Uint8Array(key) });
    }
    return id;
  }

  /** A whole-stream SHA-256 over regions of the current ring, computed by the hash worker. */
  streamHash(): StreamHash {
    const id = ++this.hashSeq;
    return new StreamHash(this, id, id % this.size);
  }

  /** Runs a task on a given worker without waiting for a slot (see StreamHash). */
  runUnthrottled(worker: number, task: DistributiveOmit<PoolTask, 'seq'>): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'));
    if (this.failure) return Promise.reject(this.failure);
    const seq = ++this.seq;
    if (this.load[worker]++ === 0) this.workers[worker].ref();
    this.unthrottled++;
    const result = new Promise<Buffer>((resolve, reject) => this.pending.set(seq, { resolve, reject, worker, unthrottled: true }));
    this.workers[worker].postMessage({ ...task, seq });
    return result;
  }

  private broadcast(msg: AttachMessage): void {
    for (const w of this.workers) w.postMessage(msg);
  }

  /** Waits until a slot is free; call before producing the next chunk to keep memory bounded. */
  async slot(): Promise<void> {
    while (this.pending.size - this.unthrottled >= this.maxQueued && !this.failure) {
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
    await Promise.all(this.workers.map(stopWorker));
  }
}
