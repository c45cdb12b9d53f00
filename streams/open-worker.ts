// Worker thread of the restore read path: opens (AES-256-GCM decrypt + zstd decompress) every blob
// of one byte range read from a pack, in one message. Chunk contents are written straight into a
// shared output arena (a SharedArrayBuffer the main thread manages) at the offset it chose, so the
// big buffers are allocated once, never copied between threads and never left to the collector;
// blobs without an arena slot (deltas, odd sizes) come back as transferred buffers. Whole chunks
// of a file restore are rebuilt and written to the output file by the worker itself
// (restored-chunk-writer.ts).
// Blob layout: see blob-crypto.ts (nonce ‖ ciphertext ‖ tag; plaintext = mode byte ‖ payload).
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';
import { BLOB_OVERHEAD, NONCE_BYTES, TAG_BYTES } from './blob-crypto.js';
import { blockDigestsInto, fixedChunkId } from './keyed-hash.js';
import { GcByBytes } from './gc-by-bytes.js';
import { copyBytes } from './copy-bytes.js';
import { ChunkWriteError, RestoredChunkWriter } from './restored-chunk-writer.js';
import { applyDeltaInPlace } from '../src/repository/delta.js';

export interface OpenBlobSpec {
  /** Position of the blob inside `data`. */
  off: number;
  len: number;
  key: Uint8Array;
  aad: Uint8Array;
  /** Arena offset for the content (its size must be exactly `raw`), or -1 for a fresh buffer. */
  dst?: number;
  raw?: number;
  /**
   * ID key (32 bytes) when the blob is a whole fixed-size chunk to verify: its content's block
   * digests must give back its chunk ID (= `aad`), as at backup; the reply then carries the
   * 32-byte block digests (for the stream's block tree digest, stream-digest.ts).
   */
  verify?: Uint8Array;
  /**
   * Offset in the task's `file` where this blob's content (a whole chunk, exactly `raw` bytes)
   * goes: the worker writes it there itself, from its own scratch buffer, skipping all-zero
   * 4 KiB blocks (holes), and the reply carries no content for it.
   */
  write?: number;
  /**
   * With `write`: this blob is the base of a delta chain; the deltas' payloads are applied to its
   * content in order (each must name the chunk before it, `base`, hex) before it is verified and
   * written. With `verify`, the rebuilt content must then give `verifyId` (the last delta's ID).
   */
  deltas?: { payload: Uint8Array; base: string }[];
  verifyId?: Uint8Array;
}
export type OpenInit = { init: SharedArrayBuffer };
/** `file`: the output file the blobs with `write` go to (opened by the worker on first use). */
export type OpenRangeTask = { seq: number; data: Uint8Array; blobs: OpenBlobSpec[]; file?: string };
/** Closes this worker's descriptor of an output file (sent after the last task that writes to it). */
export type CloseFileMessage = { closeFile: string };
/** Sent before the reply of a task whose chunks the worker writes: its input range is no longer read. */
export type OpenConsumedNote = { seq: number; consumed: true };
/**
 * Blob i: in the arena when `bufs[i]` is null, else `new Uint8Array(bufs[i], offs[i], lens[i])`;
 * `digests[i]`: its block digests when it was verified (`verify`), else null.
 */
export type OpenRangeReply =
  | { seq: number; ok: true; bufs: (ArrayBuffer | null)[]; offs: number[]; lens: number[]; digests: (Uint8Array | null)[] }
  | { seq: number; ok: false; blob: number; integrity: boolean; message: string; code?: string };

const MODE_RAW = 0;
const MODE_ZSTD = 1;

class IntegrityError extends Error {}

interface DCtx {
  decompress(dst: Uint8Array, src: Uint8Array): number;
}
interface ZstdBinding {
  DCtx: new () => DCtx;
  getFrameContentSize(frame: Uint8Array): number | null;
}
const zstd = createRequire(import.meta.url)('zstd-napi/binding') as ZstdBinding;
const dctx = new zstd.DCtx();
let arena: SharedArrayBuffer | undefined;
// Collect the dead range buffers promptly (see gc-by-bytes.ts).
const gc = new GcByBytes(2 << 20);

/** The decipher of blob `spec` within `data` (nonce, AAD and tag set) and its ciphertext. */
function decipherOf(data: Buffer, spec: OpenBlobSpec): { d: crypto.DecipherGCM; ct: Buffer } {
  if (spec.len < BLOB_OVERHEAD || spec.off + spec.len > data.length) throw new IntegrityError('blob is truncated');
  const b = data.subarray(spec.off, spec.off + spec.len);
  const d = crypto.createDecipheriv('aes-256-gcm', spec.key, b.subarray(0, NONCE_BYTES));
  d.setAAD(spec.aad);
  d.setAuthTag(b.subarray(b.length - TAG_BYTES));
  return { d, ct: b.subarray(NONCE_BYTES, b.length - TAG_BYTES) };
}

function decipher(data: Buffer, spec: OpenBlobSpec): Buffer {
  const { d, ct } = decipherOf(data, spec);
  try {
    const plain = d.update(ct);
    const tail = d.final();
    return tail.length > 0 ? Buffer.concat([plain, tail]) : plain;
  } catch {
    throw new IntegrityError('authentication tag mismatch (data altered or wrong key)');
  }
}

/**
 * Decrypts arena-bound blobs in pieces of this size. Each piece of plaintext is then a small,
 * short-lived buffer below glibc's mmap threshold, reused from the thread's free lists, instead of
 * a chunk-sized one per blob: freed megabyte buffers stayed in the workers' malloc arenas and were
 * the largest part of the restore's peak RSS above its fixed budgets.
 */
const PIECE = 64 * 1024;
/** Compressed payloads are gathered here (per worker, reused) and decompressed into the arena. */
let stage = Buffer.alloc(0);

/** Opens one blob straight into its arena slot `out` (exactly `spec.raw` bytes). */
function openIntoArena(data: Buffer, spec: OpenBlobSpec, out: Buffer): Opened {
  const { d, ct } = decipherOf(data, spec);
  const payloadLen = ct.length - 1;
  let mode = -1;
  let target: Buffer | undefined;
  let pos = 0;
  for (let p = 0; p < ct.length; p += PIECE) {
    let piece = d.update(ct.subarray(p, Math.min(ct.length, p + PIECE)));
    if (mode < 0) {
      mode = piece[0];
      piece = piece.subarray(1);
      if (mode === MODE_RAW && payloadLen === spec.raw) target = out;
      else if (mode === MODE_ZSTD) {
        if (stage.length < payloadLen) stage = Buffer.allocUnsafeSlow(payloadLen + (payloadLen >> 3));
        target = stage;
      }
    }
    // Written before the tag is checked: on a mismatch below the slot is never used.
    if (target) pos += copyBytes(piece, target, pos);
  }
  try {
    d.final();
  } catch {
    throw new IntegrityError('authentication tag mismatch (data altered or wrong key)');
  }
  if (mode !== MODE_RAW && mode !== MODE_ZSTD) throw new IntegrityError(`unknown blob mode ${mode}`);
  if (mode === MODE_RAW) {
    if (payloadLen !== spec.raw) throw new IntegrityError(`content has ${payloadLen} bytes, the index says ${spec.raw}`);
  } else {
    const payload = stage.subarray(0, payloadLen);
    const size = zstd.getFrameContentSize(payload);
    if (size !== spec.raw) throw new IntegrityError(`content has ${size} bytes, the index says ${spec.raw}`);
    const n = dctx.decompress(out, payload);
    if (n !== spec.raw) throw new IntegrityError(`content has ${n} bytes, the index says ${spec.raw}`);
  }
  return { digests: spec.verify ? verifyChunk(out, spec) : null };
}

/** One opened blob: its content (absent when written into the arena) and, if verified, its block digests. */
interface Opened {
  out?: Buffer;
  digests: Buffer | null;
}

/** Writes the chunks this worker rebuilds for an output file (asynchronously, see its module). */
const writer = new RestoredChunkWriter();

/**
 * Rebuilds a whole chunk (spec.write) in a scratch buffer of the writer: the base blob, its deltas
 * applied in order, verified; then hands it to the writer. `written` settles when the chunk is in
 * the file.
 */
async function openAndWrite(data: Buffer, spec: OpenBlobSpec, file: string | undefined): Promise<{ digests: Buffer | null; written: Promise<void> }> {
  if (file === undefined || spec.raw === undefined || spec.write === undefined) throw new Error("a blob to write needs the task's file and its size");
  const scratch = await writer.acquire(spec.raw);
  let digests: Buffer | null;
  try {
    const content = scratch.buf.subarray(0, spec.raw);
    if (spec.deltas) {
      openIntoArena(data, { ...spec, verify: undefined }, content);
      for (const d of spec.deltas) applyDeltaInPlace(content, Buffer.from(d.payload.buffer, d.payload.byteOffset, d.payload.byteLength), d.base);
      digests = spec.verify ? verifyChunk(content, spec) : null;
    } else {
      digests = openIntoArena(data, spec, content).digests;
    }
  } catch (err) {
    writer.release(scratch);
    throw err;
  }
  return { digests, written: writer.write(file, scratch, spec.raw, digests, spec.write) };
}

/** Opens one blob into its arena slot when it has one, else into a buffer of its own. */
function openOne(data: Buffer, spec: OpenBlobSpec): Opened {
  const dst = spec.dst ?? -1;
  if (dst >= 0 && arena) return openIntoArena(data, spec, Buffer.from(arena, dst, spec.raw!));
  const plain = decipher(data, spec);
  const mode = plain[0];
  const payload = plain.subarray(1);
  if (mode !== MODE_RAW && mode !== MODE_ZSTD) throw new IntegrityError(`unknown blob mode ${mode}`);
  if (mode === MODE_RAW) {
    return { out: payload, digests: spec.verify ? verifyChunk(payload, spec) : null };
  }
  const size = zstd.getFrameContentSize(payload);
  if (size === null || size > 1 << 30) throw new IntegrityError('compressed payload without a usable content size');
  const out = Buffer.allocUnsafeSlow(size);
  const n = dctx.decompress(out, payload);
  if (n !== size) throw new IntegrityError(`content has ${n} bytes, the frame says ${size}`);
  return { out, digests: spec.verify ? verifyChunk(out, spec) : null };
}

/**
 * Recomputes the fixed chunk ID of `content`, compares it with the chunk's ID (`verifyId`, or the
 * blob's own ID, its AAD) and returns the block digests.
 */
function verifyChunk(content: Uint8Array, spec: OpenBlobSpec): Buffer {
  // Its own ArrayBuffer (Buffer.alloc never uses the pool): moved to the main thread, not copied.
  const digests = blockDigestsInto(content);
  const id = fixedChunkId(Buffer.from(spec.verify!), content.length, digests);
  if (!id.equals(spec.verifyId ?? spec.aad)) throw new IntegrityError('content does not match its chunk ID');
  return digests;
}

/**
 * Tasks run one after another in arrival order (a chunk may wait for a scratch buffer, so handling
 * is asynchronous); a task's reply goes out once its chunks are in the file, while the next task
 * already runs.
 */
const inbox: (OpenRangeTask | CloseFileMessage)[] = [];
let pumping = false;

parentPort?.on('message', (msg: OpenRangeTask | OpenInit | CloseFileMessage) => {
  if ('init' in msg) {
    arena = msg.init;
    return;
  }
  inbox.push(msg);
  if (!pumping) void pump();
});

async function pump(): Promise<void> {
  pumping = true;
  try {
    while (inbox.length > 0) {
      const msg = inbox.shift()!;
      if ('closeFile' in msg) await writer.close(msg.closeFile);
      else await handle(msg);
    }
  } finally {
    pumping = false;
  }
}

function failureReply(seq: number, blob: number, err: unknown): OpenRangeReply {
  const code = err instanceof ChunkWriteError ? err.code : undefined;
  return { seq, ok: false, blob, integrity: err instanceof IntegrityError, message: (err as Error).message, ...(code ? { code } : {}) };
}

async function handle(task: OpenRangeTask): Promise<void> {
  gc.add(task.data.byteLength);
  const data = Buffer.from(task.data.buffer, task.data.byteOffset, task.data.byteLength);
  const bufs: (ArrayBuffer | null)[] = [];
  const offs: number[] = [];
  const lens: number[] = [];
  const digests: (Uint8Array | null)[] = [];
  const transfer = new Set<ArrayBuffer>();
  /** Chunks handed to the writer; a failure names its blob. */
  const writes: Promise<void>[] = [];
  let i = 0;
  try {
    for (; i < task.blobs.length; i++) {
      const spec = task.blobs[i];
      let opened: Opened;
      try {
        if (spec.write !== undefined) {
          const blob = i;
          const { digests: verified, written } = await openAndWrite(data, spec, task.file);
          const named = written.catch((err: ChunkWriteError) => Promise.reject(Object.assign(err, { blob })));
          named.catch(() => undefined); // handled below, once the task's blobs are all opened
          writes.push(named);
          opened = { digests: verified };
        } else {
          opened = openOne(data, spec);
        }
      } catch (err) {
        // zstd reports damage as a plain Error: any failure to open a blob is damage.
        throw err instanceof IntegrityError || err instanceof ChunkWriteError ? err : new IntegrityError((err as Error).message);
      }
      const { out, digests: verified } = opened;
      digests.push(verified);
      if (verified) transfer.add(verified.buffer as ArrayBuffer);
      if (!out) {
        bufs.push(null);
        offs.push(0);
        lens.push(spec.raw!);
        continue;
      }
      let ab = out.buffer as ArrayBuffer;
      let off = out.byteOffset;
      // Small results may live in Node's shared pool slab: copy them rather than ship the slab.
      if (ab.byteLength > out.length + 1 || transfer.has(ab)) {
        const copy = new Uint8Array(out.length);
        copy.set(out);
        ab = copy.buffer;
        off = 0;
      }
      bufs.push(ab);
      offs.push(off);
      lens.push(out.length);
      transfer.add(ab);
    }
  } catch (err) {
    // The chunks already handed to the writer land first: nothing of this task writes afterwards.
    await Promise.allSettled(writes);
    parentPort!.postMessage(failureReply(task.seq, i, err));
    return;
  }
  const reply: OpenRangeReply = { seq: task.seq, ok: true, bufs, offs, lens, digests };
  if (writes.length === 0) {
    parentPort!.postMessage(reply, [...transfer]);
    return;
  }
  const note: OpenConsumedNote = { seq: task.seq, consumed: true };
  parentPort!.postMessage(note);
  // Not awaited: the next task runs while these chunks are written.
  Promise.all(writes).then(
    () => parentPort!.postMessage(reply, [...transfer]),
    (err: ChunkWriteError & { blob: number }) => parentPort!.postMessage(failureReply(task.seq, err.blob, err)),
  );
}
