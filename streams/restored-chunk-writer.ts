// How a restore's read worker writes the chunks it rebuilt into the output file: asynchronously,
// from a small set of scratch buffers, with O_DIRECT where the file system takes it.
//
// Why not a plain pwrite from the worker: on a virtual machine a page-cache write can cost a new
// page per 4 KiB that the hypervisor faults in, and that system time lands on the worker threads,
// which are the restore's critical path. A direct write skips the page cache, but a synchronous one
// blocks the worker until the device has the data (slower than buffered when pages are cheap). So
// the direct writes run on libuv's threads while the worker decrypts the next chunk into another
// scratch buffer; when the device is behind, a chunk goes through the page cache instead as long as
// that is cheap, and waits for the device otherwise (see DIRECT_WRITES).
//
// Alignment: O_DIRECT wants the memory address, file offset and length aligned (aligned-buffer.ts).
// Chunk offsets and sizes are multiples of 4 KiB (config.ts), so every 4 KiB data run is aligned on
// the file side; a scratch buffer's aligned start is found once, by a trial write of the first
// data block it was about to write anyway. The last partial block of a file goes through an
// ordinary descriptor, as do whole chunks where direct I/O is refused (ramfs, some network file
// systems) or an offset is not aligned.
import fs from 'node:fs';
import { alignedBuffer, DIRECT_ALIGN } from './aligned-buffer.js';
import { dataRuns } from './data-runs.js';

/**
 * Direct writes in flight per worker. A chunk that finds them all busy goes through the page cache
 * at once while that is cheap, else it waits for one of them. A device may take these writes more
 * slowly than two workers rebuild chunks, and what a page-cache write costs depends on the host's
 * state (a new page per 4 KiB, which a hypervisor may fault in, and reclaim when the page cache has
 * filled the memory): neither writing only direct nor always overflowing to the page cache is fast
 * in every state, the cost check below is. Three in flight keep the device busy.
 */
const DIRECT_WRITES = 3;
/**
 * Page-cache writes are taken for a busy device only while they cost at most this (moving average
 * of the measured time). With both workers busy they usually cost more, so a busy device is mostly
 * waited for, and the occasional measurement keeps the average honest.
 */
const BUFFERED_MAX_MS_PER_MIB = 1;
/** While page-cache writes are too dear, every so many chunks still takes one, to measure again. */
const REMEASURE_EVERY = 16;
/** Scratch buffers per worker: one being filled while the others' chunks are written. */
const SCRATCH_BUFFERS = DIRECT_WRITES + 1;

/** A failed write to the output file (e.g. ENOSPC): not damage to the repository. */
export class ChunkWriteError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** A buffer a chunk is rebuilt in; `aligned` once its start is known to suit O_DIRECT. */
export interface Scratch {
  buf: Buffer;
  aligned: boolean;
}

interface OutputFile {
  /** Ordinary descriptor: tails, unaligned chunks, and everything when direct I/O is refused. */
  fd: number;
  /** O_DIRECT descriptor, or undefined when the file system refuses it. */
  direct: number | undefined;
  /** Writes in flight to this file. */
  writes: Set<Promise<void>>;
}

function writeError(err: unknown): ChunkWriteError {
  return err instanceof ChunkWriteError ? err : new ChunkWriteError((err as Error).message, (err as NodeJS.ErrnoException).code);
}

/** fs.write until all `len` bytes from `buf[off]` are at `pos`, off the calling thread. */
function writeFully(fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (done: number): void => {
      if (done >= len) return resolve();
      fs.write(fd, buf, off + done, len - done, pos + done, (err, n) => {
        if (err) return reject(err);
        if (n === 0) return reject(new Error('write wrote nothing'));
        step(done + n);
      });
    };
    step(0);
  });
}

export class RestoredChunkWriter {
  private readonly free: Scratch[] = [];
  private readonly waiting: ((s: Scratch) => void)[] = [];
  private readonly files = new Map<string, OutputFile>();
  private created = 0;
  private directInFlight = 0;
  /** Writes waiting for a direct slot (each is handed the slot of a write that ends). */
  private readonly slotWaiters: (() => void)[] = [];
  /** What a page-cache write costs on this host now, ms per MiB (moving average; 0 until measured). */
  private bufferedMsPerMiB = 0;
  private dearSkips = 0;
  /** Chunks written with O_DIRECT (`waited`: of those, after waiting for a slot) and through the page cache. */
  readonly chunks = { direct: 0, waited: 0, buffered: 0 };

  /** `bufferedMaxMsPerMiB`: see BUFFERED_MAX_MS_PER_MIB (tests set it to reach either way). */
  constructor(private readonly bufferedMaxMsPerMiB = BUFFERED_MAX_MS_PER_MIB) {}

  /** A scratch buffer of at least `n` bytes; waits while every buffer is still being written. */
  async acquire(n: number): Promise<Scratch> {
    let s = this.free.pop();
    if (!s && this.created < SCRATCH_BUFFERS) {
      this.created++;
      s = { buf: Buffer.allocUnsafeSlow(n), aligned: false };
    }
    s ??= await new Promise<Scratch>((resolve) => this.waiting.push(resolve));
    if (s.buf.length < n) s = { buf: Buffer.allocUnsafeSlow(n), aligned: false }; // a larger chunk size
    return s;
  }

  /** Makes a scratch buffer available again (also for a chunk that failed before it was written). */
  release(s: Scratch): void {
    const next = this.waiting.shift();
    if (next) next(s);
    else this.free.push(s);
  }

  private file(path: string): OutputFile {
    let f = this.files.get(path);
    if (!f) {
      let fd: number;
      try {
        fd = fs.openSync(path, 'r+');
      } catch (err) {
        throw writeError(err);
      }
      let direct: number | undefined;
      try {
        direct = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_DIRECT);
      } catch {
        direct = undefined; // refused here: ordinary writes
      }
      f = { fd, direct, writes: new Set() };
      this.files.set(path, f);
    }
    return f;
  }

  /**
   * Writes the non-zero 4 KiB runs of the chunk in `scratch` (its first `len` bytes; `digests`: its
   * block digests, if known) at `pos` of `path`, zero blocks left as holes. The scratch buffer is
   * the writer's again once the returned promise settles; the caller must not touch it meanwhile.
   */
  write(path: string, scratch: Scratch, len: number, digests: Buffer | null, pos: number): Promise<void> {
    let f: OutputFile;
    let runs: [number, number][];
    try {
      f = this.file(path);
      runs = dataRuns(scratch.buf.subarray(0, len), digests ?? undefined);
      if (f.direct !== undefined && pos % DIRECT_ALIGN === 0 && runs.length > 0) this.align(f, scratch, runs, pos);
    } catch (err) {
      this.release(scratch);
      return Promise.reject(writeError(err));
    }
    const op = this.route(f, scratch, runs, pos);
    // Tracked until it ends, waiting for a direct slot included (close() waits for all of them).
    const tracked = op.finally(() => f.writes.delete(tracked));
    tracked.catch(() => undefined); // the caller gets the error through `op`
    f.writes.add(tracked);
    return op;
  }

  /** Direct, buffered, or direct after waiting for a slot (see DIRECT_WRITES). */
  private route(f: OutputFile, scratch: Scratch, runs: [number, number][], pos: number): Promise<void> {
    const direct = f.direct !== undefined && scratch.aligned && pos % DIRECT_ALIGN === 0 ? f.direct : undefined;
    if (direct === undefined) return this.writeBuffered(f, scratch, runs, pos);
    if (this.directInFlight < DIRECT_WRITES) {
      this.directInFlight++;
      return this.writeDirect(f, direct, scratch, runs, pos);
    }
    // The device is busy with this worker's direct writes.
    if (this.bufferedMsPerMiB <= this.bufferedMaxMsPerMiB || ++this.dearSkips % REMEASURE_EVERY === 0) return this.writeBuffered(f, scratch, runs, pos);
    this.chunks.waited++;
    return new Promise<void>((resolve) => this.slotWaiters.push(resolve)).then(() => this.writeDirect(f, direct, scratch, runs, pos));
  }

  /** Through the page cache, right here (the worker does not wait for the device); timed. */
  private writeBuffered(f: OutputFile, scratch: Scratch, runs: [number, number][], pos: number): Promise<void> {
    try {
      this.chunks.buffered++;
      const t0 = performance.now();
      let bytes = 0;
      for (const [a, b] of runs) {
        for (let at = a; at < b; ) at += fs.writeSync(f.fd, scratch.buf, at, b - at, pos + at);
        bytes += b - a;
      }
      if (bytes >= 64 * 1024) {
        const cost = (performance.now() - t0) / (bytes / 2 ** 20);
        this.bufferedMsPerMiB = this.bufferedMsPerMiB === 0 ? cost : 0.75 * this.bufferedMsPerMiB + 0.25 * cost;
      }
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(writeError(err));
    } finally {
      this.release(scratch);
    }
  }

  /** With O_DIRECT on libuv's threads; the caller has taken a direct slot, given back at the end. */
  private writeDirect(f: OutputFile, direct: number, scratch: Scratch, runs: [number, number][], pos: number): Promise<void> {
    this.chunks.direct++;
    const done = (async () => {
      // One run after another: a worker keeps at most one libuv thread per scratch buffer busy.
      for (const [a, b] of runs) {
        const whole = (b - a) - ((b - a) % DIRECT_ALIGN);
        if (whole > 0) await writeFully(direct, scratch.buf, a, whole, pos + a);
        if (a + whole < b) await writeFully(f.fd, scratch.buf, a + whole, b - a - whole, pos + a + whole);
      }
    })();
    return done.then(
      () => this.endDirect(scratch),
      (err: unknown) => {
        this.endDirect(scratch);
        throw writeError(err);
      },
    );
  }

  private endDirect(scratch: Scratch): void {
    // The slot goes to a waiting write, if any, else back to the pool.
    const next = this.slotWaiters.shift();
    if (next) next();
    else this.directInFlight--;
    this.release(scratch);
  }

  /**
   * Moves the chunk in `scratch` to a buffer with an O_DIRECT-aligned start, found by trial writes
   * of its first whole data block at its place in the file (the right bytes, written again below).
   * When no start is accepted the file is written the ordinary way from then on.
   */
  private align(f: OutputFile, scratch: Scratch, runs: [number, number][], pos: number): void {
    if (scratch.aligned) return;
    const [a, b] = runs[0];
    if (b - a < DIRECT_ALIGN) return; // a tail block only: the next chunk will do
    const src = scratch.buf;
    const aligned = alignedBuffer(src.length, (buf, k) => {
      src.copy(buf, k, a, a + DIRECT_ALIGN);
      fs.writeSync(f.direct!, buf, k, DIRECT_ALIGN, pos + a);
    });
    if (!aligned) {
      fs.closeSync(f.direct!);
      f.direct = undefined;
      return;
    }
    src.copy(aligned, 0, 0, src.length);
    scratch.buf = aligned;
    scratch.aligned = true;
  }

  /** Waits for the writes to `path` in flight, then closes its descriptors. */
  async close(path: string): Promise<void> {
    const f = this.files.get(path);
    if (!f) return;
    this.files.delete(path);
    while (f.writes.size > 0) await Promise.allSettled([...f.writes]);
    fs.closeSync(f.fd);
    if (f.direct !== undefined) fs.closeSync(f.direct);
  }
}
