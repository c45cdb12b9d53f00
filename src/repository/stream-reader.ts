// Reads a whole stream back, fast and in bounded memory.
//
// The stream map is walked in batches of about `batchBytes` of chunk content. For each batch the
// blobs it needs are planned from the index alone (a delta chunk needs its base and every delta of
// its chain), grouped by pack and coalesced into few large range reads (a pack holds a contiguous
// stretch of the stream, shuffled, so one or two reads usually cover a batch). Each range goes to
// a read worker that decrypts and decompresses all its blobs in one message; chunks are rebuilt
// (deltas applied in place when the base is not shared) and handed to `onChunk` as soon as they
// are complete, in any order — a file restore writes them at their offset. For a file restore
// (restoreStream with `writeFile`) the read workers rebuild and write most chunks themselves: the
// content of those never comes back to this thread. The extents are also yielded strictly in
// stream order (hashing, stdout, readStream). Up to `depth` batches are in flight, so reading,
// decrypting and writing overlap and both cores work.
//
// Memory: about depth × batchBytes of chunk content plus the ranges being read.
import type { Located } from './blob-index.js';
import { aadOf, DamagedBlobError, type ChunkReader, type Extent } from './chunk-reader.js';
import { readPackRange, readPackRangeInto } from './pack-read.js';
import { OpenError, type OpenBlobSpec } from './open-pool.js';
import { GcByBytes } from '../../streams/gc-by-bytes.js';
import { BLOCK_SIZE, blockDigestsInto, fixedChunkId } from '../../streams/keyed-hash.js';
import type { BlockTreeDigest } from '../../streams/stream-digest.js';
import { applyDeltaInPlace, isDeltaPayload } from './delta.js';

export interface StreamReadOptions {
  /**
   * Called once per data chunk as soon as it is complete, in any order (e.g. a positioned write).
   * The chunk is yielded (in order) only after the returned promise settled.
   */
  onChunk?: (offset: number, data: Buffer) => Promise<void> | void;
  /** Chunk content per batch (default 8 MiB). */
  batchBytes?: number;
  /** Batches in flight (default 3). */
  depth?: number;
}

// Memory and speed knobs, sized so that a restore stays within the peak-RSS budget of the benchmark.
/** Coalesce blobs of one pack into one read when the gap between them is at most this. */
const MAX_GAP = 256 * 1024;
/** Largest single range read, in stored bytes and in content bytes. */
const MAX_RANGE = 4 * 1024 * 1024;
/** Encrypted bytes queued at the read workers before further reads wait. */
const POOL_QUEUE_BYTES = 8 * 1024 * 1024;
/** Range reads in flight at once. */
const READS_IN_FLIGHT = 3;
/** restoreStream: chunk content planned per window, and windows in flight. */
const WINDOW_BYTES = 64 * 1024 * 1024;
const WINDOWS = 2;
/**
 * Where restoreStream's chunk verification hashes: in the read workers as they decrypt (default),
 * or on the main thread as each chunk is assembled (`PERMAFROST_RESTORE_VERIFY_IN=main`). Same CPU
 * in total; on the main thread it is a serial stage in front of every write, in the workers it
 * runs beside the decryption, which keeps the main thread free to write.
 */
const VERIFY_IN_WORKERS = process.env.PERMAFROST_RESTORE_VERIFY_IN !== 'main';
/**
 * Largest chunk a read worker writes to the output file itself (its scratch buffer grows to it);
 * content-defined chunks are at most 4 MiB.
 */
const MAX_DIRECT = 8 * 1024 * 1024;

interface Want {
  entry: Located;
  promise: Promise<Buffer>;
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
  /** Chains (of in-flight chunks) that still need this blob. */
  users: number;
  /** Chains that ever asked for it while it was held (> 1: never modify it in place). */
  total: number;
  /** Its place in the output arena, freed when the last chain using it is done. */
  slot?: { off: number; size: number };
  /** Block digests of its content, when the read worker verified it against its chunk ID. */
  digests?: Buffer;
  /** Offset and length of the chunk whose chain starts with this blob (its base), if any in this batch. */
  chunkAt?: number;
  chunkLength?: number;
  /** The rest of that chain: the deltas that rebuild the chunk from this blob, in order. */
  rebuild?: Want[];
  /**
   * The read worker rebuilds the chunk and writes it to the output file itself (fetch() decides);
   * once resolved (with an empty buffer), it was written.
   */
  direct?: boolean;
}

/** The blob whose chunk ID the chunk starting with `w` has: its last delta, or `w` itself. */
function chainTop(w: Want): Located {
  return w.rebuild ? w.rebuild[w.rebuild.length - 1].entry : w.entry;
}

interface Slot {
  offset: number;
  length: number;
  /** Content, for data chunks (undefined: a zero run). */
  done?: Promise<Buffer>;
  /** Verified chunks: the 32-byte block digests of the content (set before `done` resolves). */
  digests?: Buffer;
}

/** The blocks a delta payload replaces, when its block size is the digest block size (else undefined). */
function deltaBlocks(payload: Buffer): number[] | undefined {
  if (!isDeltaPayload(payload)) return undefined;
  const length = payload.readUInt32LE(36);
  if (payload.readUInt32LE(40) !== BLOCK_SIZE) return undefined;
  const blocks = Math.ceil(length / BLOCK_SIZE);
  const out: number[] = [];
  for (let b = 0; b < blocks; b++) if (payload[44 + (b >> 3)] & (1 << (b & 7))) out.push(b);
  return out;
}

class Semaphore {
  private free: number;
  private readonly waiters: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}

const noop = (): void => undefined;

class StreamPlan {
  /** Blobs being fetched or held for the chunks of the batch being planned, by ID. */
  private wants = new Map<string, Want>();
  private readonly reads = new Semaphore(READS_IN_FLIGHT);
  private readonly freshReads = new Semaphore(2);
  private readonly gc = new GcByBytes(4 << 20);

  constructor(
    private readonly reader: ChunkReader,
    private readonly onChunk: StreamReadOptions['onChunk'],
    /** The chunks are also returned to an ordered consumer (copied out of the arena). */
    private readonly copyOut: boolean,
    /**
     * ID key: verify every (fixed-size) chunk against its chunk ID — in the read workers as they
     * decrypt it, on this thread for chunks rebuilt from deltas — and keep its block digests.
     */
    private readonly verifyKey?: Uint8Array,
    /**
     * The file `onChunk` writes into: a chunk whose blobs no other chunk of its batch uses is
     * written there by the read worker that opens its base (no arena room, no trip through this
     * thread), its deltas applied there first; `onChunk` is not called for it.
     */
    private readonly directFile?: string,
  ) {}

  private want(entry: Located, fresh: Want[]): Want {
    let w = this.wants.get(entry.id);
    if (!w) {
      let resolve!: (b: Buffer) => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<Buffer>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(noop); // surfaced through the chunk that awaits it
      w = { entry, promise, resolve, reject, users: 0, total: 0 };
      this.wants.set(entry.id, w);
      fresh.push(w);
    }
    w.users++;
    w.total++;
    return w;
  }

  private drop(w: Want): void {
    if (--w.users > 0) return;
    if (w.slot) {
      this.reader.arena.release(w.slot.off, w.slot.size);
      w.slot = undefined;
    }
  }

  /** Plans and starts one batch; returns its slots in stream order. */
  start(batch: { offset: number; length: number; id?: string }[]): Slot[] {
    // Blobs are shared within a batch only. Sharing across batches could deadlock the arena: an
    // older batch's read waiting for room held by a chunk whose delta is queued behind it.
    this.wants = new Map();
    const fresh: Want[] = [];
    const slots: Slot[] = [];
    for (const c of batch) {
      if (!c.id) {
        slots.push({ offset: c.offset, length: c.length });
        continue;
      }
      let chain: Want[];
      try {
        chain = this.reader.chain(c.id).map((e) => this.want(e, fresh));
      } catch (err) {
        const done = Promise.reject(err as Error);
        done.catch(noop);
        slots.push({ offset: c.offset, length: c.length, done });
        continue;
      }
      chain[0].chunkAt = c.offset;
      chain[0].chunkLength = c.length;
      chain[0].rebuild = chain.length > 1 ? chain.slice(1) : undefined;
      const slot: Slot = { offset: c.offset, length: c.length };
      slot.done = this.assemble(c.offset, c.length, chain, slot);
      slot.done.catch(noop);
      slots.push(slot);
    }
    this.fetch(fresh);
    return slots;
  }

  private async assemble(offset: number, length: number, chain: Want[], slot: Slot): Promise<Buffer> {
    // Every part stays held (its arena slot too) until the chunk was written or copied out.
    try {
      const parts = await Promise.all(chain.map((w) => w.promise));
      if (chain[0].direct) {
        // Rebuilt and written by its read worker, which verified it when verifying (readRange asks it to).
        if (this.verifyKey) slot.digests = chain[0].digests;
        this.gc.add(length);
        return parts[0];
      }
      let data = parts[0];
      if (chain.length > 1) {
        // Rebuilding a delta modifies the base buffer: in place only when no other chunk uses it.
        if (chain[0].total > 1) data = Buffer.from(data);
        for (let i = 1; i < chain.length; i++) {
          try {
            applyDeltaInPlace(data, parts[i], chain[i - 1].entry.id);
          } catch (err) {
            throw new DamagedBlobError(chain[i].entry.id, chain[i].entry.pack, (err as Error).message);
          }
        }
      }
      if (data.length !== length) {
        const top = chain[chain.length - 1].entry;
        throw new DamagedBlobError(top.id, top.pack, `chunk has ${data.length} bytes, the stream map says ${length}`);
      }
      if (this.verifyKey) slot.digests = this.verifiedDigests(data, chain, parts);
      this.gc.add(length);
      if (this.onChunk) await this.onChunk(offset, data);
      // Ordered consumers may keep what they get: never hand them arena memory.
      if (this.copyOut && data.buffer instanceof SharedArrayBuffer) data = Buffer.from(data);
      return data;
    } finally {
      for (const w of chain) this.drop(w);
    }
  }

  /**
   * Block digests of a chunk, checked against its chunk ID. A whole chunk may have been checked by
   * the read worker already (VERIFY_IN_WORKERS). A chunk rebuilt from deltas whose base the worker
   * checked takes the base's digests and rehashes only the blocks the deltas changed; anything else
   * is hashed whole here.
   */
  private verifiedDigests(data: Buffer, chain: Want[], parts: Buffer[]): Buffer {
    const top = chain[chain.length - 1].entry;
    if (chain.length === 1 && chain[0].digests) return chain[0].digests;
    let digests: Buffer | undefined;
    const base = chain[0].digests;
    if (base && base.length === Math.ceil(data.length / BLOCK_SIZE) * 32) {
      const changed = new Set<number>();
      for (let i = 1; i < chain.length; i++) {
        const blocks = deltaBlocks(parts[i]);
        if (!blocks) break;
        for (const b of blocks) changed.add(b);
        if (i === chain.length - 1) {
          digests = Buffer.from(base);
          for (const b of changed) {
            const block = data.subarray(b * BLOCK_SIZE, Math.min(data.length, (b + 1) * BLOCK_SIZE));
            blockDigestsInto(block, digests.subarray(b * 32, b * 32 + 32));
          }
        }
      }
    }
    digests ??= blockDigestsInto(data);
    if (top.scheme !== 'fixed' || !fixedChunkId(Buffer.from(this.verifyKey!), data.length, digests).equals(Buffer.from(top.id, 'hex'))) {
      throw new DamagedBlobError(top.id, top.pack, 'content does not match its chunk ID');
    }
    return digests;
  }

  /**
   * Groups the blobs by pack and reads them in coalesced ranges. Ranges holding deltas go first:
   * they are small, and a base that arrives before its delta must wait in memory.
   */
  private fetch(fresh: Want[]): void {
    const maxSlot = this.reader.arena.maxSlot;
    if (this.directFile !== undefined) {
      for (const w of fresh) {
        const e = w.entry;
        // Verification needs the content: only where the worker verifies (fixed chunks), or none.
        const verifiable = !this.verifyKey || (VERIFY_IN_WORKERS && chainTop(w).scheme === 'fixed');
        const ownDeltas = !w.rebuild || w.rebuild.every((d) => d.total === 1 && d.entry.type === 'delta');
        w.direct = e.type === 'data' && w.total === 1 && e.raw === w.chunkLength && e.raw > 0 && e.raw <= MAX_DIRECT && verifiable && ownDeltas;
      }
    }
    // Blobs that go into the arena and blobs that get their own buffers (deltas) are read apart:
    // a delta must never wait for arena room, since the room may be held by the base waiting for it.
    const byPack = new Map<string, Want[]>();
    for (const w of fresh) {
      const slotted = w.direct || (w.entry.type !== 'delta' && w.entry.raw > 0 && w.entry.raw <= maxSlot);
      const key = `${slotted ? 's' : 'f'}${w.entry.pack}`;
      const list = byPack.get(key);
      if (list) list.push(w);
      else byPack.set(key, [w]);
    }
    const ranges: { pack: string; start: number; end: number; group: Want[]; slotted: boolean }[] = [];
    for (const [key, list] of byPack) {
      const pack = key.slice(1);
      const slotted = key[0] === 's';
      list.sort((a, b) => a.entry.offset - b.entry.offset);
      let group: Want[] = [];
      let start = 0;
      let end = 0;
      let raw = 0;
      const flush = (): void => {
        if (group.length > 0) ranges.push({ pack, start, end, group, slotted });
        group = [];
        raw = 0;
      };
      for (const w of list) {
        const o = w.entry.offset;
        // Bounded in both its stored bytes and the content it puts into the arena.
        if (group.length > 0 && (o - end > MAX_GAP || o + w.entry.length - start > MAX_RANGE || raw + w.entry.raw > MAX_RANGE)) flush();
        if (group.length === 0) start = o;
        group.push(w);
        end = Math.max(end, o + w.entry.length);
        raw += w.entry.raw;
      }
      flush();
    }
    // Deltas first: they are small, and a base that arrives before its delta waits in memory.
    ranges.sort((a, b) => Number(a.slotted) - Number(b.slotted));
    for (const r of ranges) void this.readRange(r.pack, r.start, r.end, r.group, r.slotted);
  }

  /** The delta payloads that rebuild a chunk from `base`, each with the ID of the chunk it applies to. */
  private async deltaPayloads(base: Want, deltas: Want[]): Promise<{ payload: Uint8Array; base: string }[]> {
    const payloads = await Promise.all(deltas.map((d) => d.promise));
    return payloads.map((payload, i) => ({ payload, base: (i === 0 ? base : deltas[i - 1]).entry.id }));
  }

  private async readRange(pack: string, start: number, end: number, group: Want[], intoArena: boolean): Promise<void> {
    const arena = this.reader.arena;
    const slotted: Want[] = [];
    // Queue for a read slot now, synchronously, so reads start in the order they were planned.
    // Arena reads and the others have separate slots: reads waiting for arena room never block
    // the delta reads that the chunks holding that room wait for.
    const reads = intoArena ? this.reads : this.freshReads;
    const turn = reads.acquire();
    let queued = true;
    let inputSlot: { off: number; size: number } | undefined;
    const releaseInput = (): void => {
      if (inputSlot) this.reader.inputArena!.release(inputSlot.off, inputSlot.size);
      inputSlot = undefined;
    };
    try {
      const specs: OpenBlobSpec[] = [];
      for (const w of group) {
        // A chunk the worker rebuilds is checked against its top (last delta's) chunk ID.
        const top = w.direct ? chainTop(w) : w.entry;
        const verify = VERIFY_IN_WORKERS && this.verifyKey && w.entry.type === 'data' && top.scheme === 'fixed' ? this.verifyKey : undefined;
        const spec: OpenBlobSpec = { off: w.entry.offset - start, len: w.entry.length, key: await this.reader.key(w.entry), aad: aadOf(w.entry.id), ...(verify ? { verify } : {}) };
        if (w.direct) {
          spec.write = w.chunkAt;
          spec.raw = w.entry.raw;
          if (w.rebuild) {
            // The deltas are read first, apart (fetch()), and never wait for this range: no deadlock.
            spec.deltas = await this.deltaPayloads(w, w.rebuild);
            if (verify) spec.verifyId = aadOf(top.id);
          }
        } else if (intoArena) slotted.push(w);
        specs.push(spec);
      }
      queued = false;
      await turn;
      let data: Buffer;
      try {
        // Back-pressure: do not read further ahead than the workers decrypt and the arena holds.
        await this.reader.pool().room(POOL_QUEUE_BYTES);
        const sizes = slotted.map((w) => w.entry.raw);
        const offs = sizes.length > 0 ? await arena.alloc(sizes) : [];
        slotted.forEach((w, i) => (w.slot = { off: offs[i], size: sizes[i] }));
        for (let i = 0; i < group.length; i++) {
          const slot = group[i].slot;
          if (slot) {
            specs[i].dst = slot.off;
            specs[i].raw = slot.size;
          }
        }
        // Into the input arena when the backend can (taken after the output slots: the opens that
        // hold input room never wait for anything, so this wait always ends).
        const input = this.reader.inputArena;
        const len = end - start;
        if (input && len <= input.size) {
          const [off] = await input.alloc([len]);
          inputSlot = { off, size: len };
          const got = await readPackRangeInto(this.reader.backend, pack, start, input.view(off, len));
          data = input.view(off, got);
        } else {
          data = await readPackRange(this.reader.backend, pack, start, len);
        }
      } finally {
        reads.release();
      }
      if (data.length !== end - start) {
        const short = group.find((w) => w.entry.offset + w.entry.length > start + data.length) ?? group[0];
        throw new DamagedBlobError(short.entry.id, pack, 'pack is shorter than its index says');
      }
      let plains: Buffer[];
      let digests: (Buffer | undefined)[];
      try {
        // The input range is free once decrypted, while the worker's writes may still run.
        ({ plains, digests } = await this.reader.pool().openVerified(data, specs, this.directFile, releaseInput));
        releaseInput();
      } catch (err) {
        if (err instanceof OpenError && err.integrity) {
          const bad = group[err.blob] ?? group[0];
          throw new DamagedBlobError(bad.entry.id, pack, err.message);
        }
        throw err;
      }
      for (let i = 0; i < group.length; i++) {
        const w = group[i];
        const p = plains[i];
        // A blob the worker wrote comes back empty.
        if (!w.direct && w.entry.type !== 'delta' && p.length !== w.entry.raw) {
          w.reject(new DamagedBlobError(w.entry.id, pack, `content has ${p.length} bytes, the index says ${w.entry.raw}`));
        } else {
          w.digests = digests[i];
          w.resolve(p);
        }
      }
    } catch (err) {
      releaseInput();
      // Failed before its turn came: give the read slot back once it is granted.
      if (queued) void turn.then(() => reads.release());
      for (const w of group) w.reject(err as Error);
    }
  }
}

interface PlannedChunk {
  offset: number;
  length: number;
  id?: string;
}

/** Walks a stream map one segment at a time (block digests dropped): memory stays flat. */
class MapCursor {
  private readonly segments: Iterator<string>;
  private entries: { length: number; id?: Buffer }[] = [];
  private pos = 0;
  private offset = 0;

  constructor(
    private readonly reader: ChunkReader,
    maps: string[],
  ) {
    this.segments = maps[Symbol.iterator]();
  }

  /** The next chunks, up to `bytes` of data (zero runs are free); empty at the end. */
  async take(bytes: number, maxCount = 4096): Promise<PlannedChunk[]> {
    const batch: PlannedChunk[] = [];
    let taken = 0;
    while (taken < bytes && batch.length < maxCount) {
      if (this.pos >= this.entries.length) {
        const next = this.segments.next();
        if (next.done) break;
        this.entries = (await this.reader.mapSegment(next.value)).entries;
        this.pos = 0;
        continue;
      }
      const e = this.entries[this.pos++];
      batch.push({ offset: this.offset, length: e.length, id: e.id?.toString('hex') });
      this.offset += e.length;
      if (e.id) taken += e.length;
    }
    return batch;
  }
}

export interface StreamRestoreOptions {
  /** Writes one complete data chunk at its offset; called in any order. */
  onChunk: (offset: number, data: Buffer) => Promise<void>;
  /**
   * The stream is complete (written, or a zero run) from 0 up to `end`: called whenever that
   * prefix grows (e.g. to hash the output behind the writes).
   */
  onPrefix?: (end: number) => void;
  /** Chunk content planned per window (default 64 MiB); `windows` of them in flight (default 2). */
  windowBytes?: number;
  windows?: number;
  /**
   * Verify as the chunks are decrypted: each chunk against its (fixed) chunk ID, and their block
   * digests, with the zero runs, folded in stream order into `tree` (stream-digest.ts). The file
   * is never read back.
   */
  verify?: { idKey: Uint8Array; tree: BlockTreeDigest };
  /**
   * The path of the file `onChunk` writes into (opened for writing, with its final size). Chunks
   * the read workers can write themselves (most of them: see StreamPlan) go there directly, with
   * their all-zero 4 KiB blocks left as holes, and `onChunk` sees only the others. A failed write
   * rejects with an OpenError carrying the errno code.
   */
  writeFile?: string;
}

/**
 * Restores a whole stream out of order: each data chunk goes to `onChunk` as soon as it is
 * complete and is dropped right after, so memory stays at the reads and decryptions in flight.
 * Resolves when every chunk was written; rejects with the first error.
 */
export async function restoreStream(reader: ChunkReader, maps: string[], opts: StreamRestoreOptions): Promise<void> {
  const windowBytes = opts.windowBytes ?? WINDOW_BYTES;
  const windows = Math.max(1, opts.windows ?? WINDOWS);
  const tree = opts.verify?.tree;
  const plan = new StreamPlan(reader, opts.onChunk, false, opts.verify ? new Uint8Array(opts.verify.idKey) : undefined, opts.writeFile);
  const cursor = new MapCursor(reader, maps);
  // Completion of the stream prefix: slots in order, each marked done when written.
  // `length`/`digests`: for the block tree (digests undefined: a zero run).
  const order: { end: number; length: number; done: boolean; digests?: Buffer }[] = [];
  let head = 0;
  let prefix = 0;
  const advance = (): void => {
    let moved = false;
    while (head < order.length && order[head].done) {
      const o = order[head++];
      if (tree) {
        if (o.digests) tree.updateDigests(o.digests, o.length);
        else tree.updateZeros(o.length);
        o.digests = undefined;
      }
      prefix = o.end;
      moved = true;
    }
    if (head > 4096) {
      order.splice(0, head);
      head = 0;
    }
    if (moved) opts.onPrefix?.(prefix);
  };
  let failure: unknown;
  const active: Promise<void>[] = [];
  const startWindow = async (): Promise<boolean> => {
    const batch = await cursor.take(windowBytes);
    if (batch.length === 0) return false;
    const slots = plan.start(batch);
    const marks = slots.map((s) => {
      const m: (typeof order)[number] = { end: s.offset + s.length, length: s.length, done: !s.done };
      order.push(m);
      return m;
    });
    advance();
    const all = slots.map((s, i) =>
      s.done?.then(
        () => {
          marks[i].done = true;
          marks[i].digests = s.digests;
          s.digests = undefined;
          advance();
        },
        (err: unknown) => {
          failure ??= err;
        },
      ),
    );
    active.push(Promise.all(all).then(() => undefined));
    return true;
  };
  // Idle read workers do not keep the process alive; a restore in progress must.
  const keepAlive = setInterval(noop, 1 << 30);
  try {
    let more = true;
    while (more && active.length < windows) more = await startWindow();
    while (active.length > 0) {
      await active.shift();
      if (failure) break;
      if (more) more = await startWindow();
    }
    // On a failure, the other windows are let finish (their slots settle either way): no read
    // worker is still writing into the file when this returns.
    await Promise.all(active);
    if (failure) throw failure;
  } finally {
    clearInterval(keepAlive);
    if (opts.writeFile !== undefined) reader.pool().closeFile(opts.writeFile);
  }
}

/**
 * The extents of a stream in order (zero runs without data), read ahead in planned batches. With
 * `onChunk`, each data chunk is also delivered as soon as it is complete, in any order.
 */
export async function* streamExtents(reader: ChunkReader, maps: string[], opts: StreamReadOptions = {}): AsyncGenerator<Extent> {
  const batchBytes = opts.batchBytes ?? 8 * 1024 * 1024;
  const depth = Math.max(1, opts.depth ?? 3);
  const plan = new StreamPlan(reader, opts.onChunk, true);

  const cursor = new MapCursor(reader, maps);
  const nextBatch = async (): Promise<Slot[] | undefined> => {
    const batch = await cursor.take(batchBytes);
    return batch.length > 0 ? plan.start(batch) : undefined;
  };

  const queue: Slot[][] = [];
  let exhausted = false;
  const fill = async (): Promise<void> => {
    while (!exhausted && queue.length < depth) {
      const b = await nextBatch();
      if (b) queue.push(b);
      else exhausted = true;
    }
  };

  // Idle read workers do not keep the process alive: a pending read must (only while waiting, so
  // that an abandoned generator never holds the process).
  const keepAlive = setInterval(noop, 1 << 30);
  keepAlive.unref();
  const wait = async <T>(p: Promise<T>): Promise<T> => {
    keepAlive.ref();
    try {
      return await p;
    } finally {
      keepAlive.unref();
    }
  };
  try {
    await wait(fill());
    for (;;) {
      const slots = queue.shift();
      if (!slots) return;
      await wait(fill());
      for (let i = 0; i < slots.length; i++) {
        const s = slots[i];
        if (!s.done) {
          // Consecutive zero runs become one extent (one seek instead of many).
          let length = s.length;
          while (i + 1 < slots.length && !slots[i + 1].done) length += slots[++i].length;
          yield { offset: s.offset, length };
          continue;
        }
        const data = await wait(s.done);
        yield { offset: s.offset, length: s.length, data };
      }
    }
  } finally {
    clearInterval(keepAlive);
  }
}
