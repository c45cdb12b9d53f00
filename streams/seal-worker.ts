// Worker thread of the crypto pool. Backup: hashes each non-zero chunk (4 KiB block digests + keyed
// chunk ID) and keeps it until the main thread decides — drop it (already stored), or seal it
// (compress+encrypt), possibly as a sub-block delta. Restore/check: decrypts+decompresses blobs.
// So both cores do the heavy work while the main thread decides (and reads, except for files cut into
// fixed chunks, which the workers read themselves: ring-read-digest).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { BlobIntegrityError, openBlob, SealScratch, sealBlob, sealBlobInto } from './blob-crypto.js';
import { blockDigests, fixedChunkId, plainChunkId, truncateDigests } from './keyed-hash.js';
import { encodeDelta } from '../src/repository/delta.js';
import { GcHint } from './gc-hint.js';
import { SEAL_SLACK } from './byte-ring.js';
import { isAllZero } from './zero-detect.js';

export type SealTask = { op: 'seal'; seq: number; key: Uint8Array; aad: Uint8Array; data: Uint8Array; level: number };
export type OpenTask = { op: 'open'; seq: number; key: Uint8Array; aad: Uint8Array; data: Uint8Array };
/** Reply: chunk ID (32 bytes) ‖ truncated block digests (fixed scheme only). */
export type DigestTask = { op: 'digest'; seq: number; hold: number; scheme: 'fixed' | 'plain'; idKey: Uint8Array; data: Uint8Array };
export type SealHeldTask = {
  op: 'seal-held';
  seq: number;
  hold: number;
  key: Uint8Array;
  aad: Uint8Array;
  level: number;
  delta?: { base: Uint8Array; changed: number[]; blockSize: number };
};
/**
 * Ring tasks (backup path): the chunk lies in a region of the shared ring. `ring-digest` replies
 * with chunk ID ‖ full 32-byte block digests (fixed scheme); `ring-seal` writes the sealed blob over the
 * region (from its start) and replies with its length as a u32.
 */
export type RingDigestTask = { op: 'ring-digest'; seq: number; ring: number; off: number; len: number; scheme: 'fixed' | 'plain'; idKey: number };
/**
 * Reads up to `len` bytes at `position` of file descriptor `fd` (opened by the main thread; the
 * workers share the process's descriptors) into a ring region, then treats them as `ring-digest`
 * does unless they are all zero. Reply: bytes read (u32), followed for non-zero data by the
 * `ring-digest` reply. So the reads of a file backup run in parallel on the workers, next to the
 * hashing, instead of one by one through the main thread.
 */
export type RingReadDigestTask = { op: 'ring-read-digest'; seq: number; ring: number; off: number; len: number; fd: number; position: number; idKey: number };
/**
 * `ring-read-digest`, then, for non-zero data, the chunk sealed in place at once (compressed and
 * encrypted under key `key` with its chunk ID as associated data, as `ring-seal` does), on the
 * guess that it is new: one task per chunk instead of two where most chunks are new (a stream
 * without a parent). Reply: bytes read (u32), and for non-zero data the sealed length (u32) ‖ chunk
 * ID ‖ full block digests. A chunk that turns out to be stored already is simply dropped.
 */
export type RingReadSealTask = Omit<RingReadDigestTask, 'op'> & { op: 'ring-read-seal'; key: number; level: number };
export type RingSealTask = {
  op: 'ring-seal';
  seq: number;
  ring: number;
  off: number;
  len: number;
  key: number;
  aad: Uint8Array;
  level: number;
  delta?: { base: Uint8Array; changed: number[]; blockSize: number };
};
/**
 * Whole-stream SHA-256 (backup): the hash state of stream `stream` lives in this worker; updates
 * hash regions of the ring in the order they arrive and reply empty; `hash-end` replies with the
 * 32-byte digest (and forgets the stream).
 */
export type HashTask =
  | { op: 'hash-begin'; seq: number; stream: number }
  | { op: 'hash-update'; seq: number; stream: number; ring: number; off: number; len: number }
  | { op: 'hash-end'; seq: number; stream: number };
export type PoolTask = SealTask | OpenTask | DigestTask | SealHeldTask | RingDigestTask | RingReadDigestTask | RingReadSealTask | RingSealTask | HashTask;
/**
 * Rings and keys are sent to each worker once (see WorkerPool.ring()/keyRef()), and ring tasks
 * name them by number: a task message is then a few numbers, not a SharedArrayBuffer and two keys
 * to serialise per chunk.
 */
export type AttachMessage = { op: 'attach-ring'; id: number; sab: SharedArrayBuffer } | { op: 'attach-key'; id: number; key: Uint8Array };
export type DropMessage = { op: 'drop'; hold: number };
/** `code`: the errno code of a failed system call (a worker's file read), so callers can name the cause. */
export type PoolReply = { seq: number; ok: true; data: Uint8Array } | { seq: number; ok: false; integrity: boolean; message: string; code?: string };

const asBuf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const held = new Map<number, Buffer>();
const gcHint = new GcHint(8, 'minor');
const scratch = new SealScratch();
const rings = new Map<number, SharedArrayBuffer>();
const keys = new Map<number, Buffer>();
const streamHashes = new Map<number, crypto.Hash>();
const EMPTY = Buffer.alloc(0);

function ringOf(id: number): SharedArrayBuffer {
  const sab = rings.get(id);
  if (!sab) throw new Error(`ring ${id} is not attached to this worker`);
  return sab;
}
function keyOf(id: number): Buffer {
  const key = keys.get(id);
  if (!key) throw new Error(`key ${id} is not attached to this worker`);
  return key;
}

/**
 * Reply of a fixed chunk's digest tasks: [`head` ‖] chunk ID ‖ full 32-byte block digests (the main
 * thread folds them into the stream's block tree digest, stream-digest.ts, and truncates them for
 * the stream map).
 */
function fixedDigestReply(idKey: Buffer, chunk: Buffer, head?: Buffer): Buffer {
  const { digests } = blockDigests(chunk);
  const id = fixedChunkId(idKey, chunk.length, digests);
  return Buffer.concat(head ? [head, id, digests] : [id, digests]);
}

/** Reads up to `into.length` bytes at `position` of `fd` (short only at the end of the file). */
function readInto(into: Buffer, fd: number, position: number): number {
  let n = 0;
  while (n < into.length) {
    const got = fs.readSync(fd, into, n, into.length - n, position + n);
    if (got === 0) break;
    n += got;
  }
  return n;
}

function handle(task: PoolTask): Buffer {
  switch (task.op) {
    case 'seal':
      return sealBlob(asBuf(task.key), asBuf(task.aad), task.data, task.level);
    case 'open':
      return openBlob(asBuf(task.key), asBuf(task.aad), task.data);
    case 'digest': {
      const chunk = asBuf(task.data);
      held.set(task.hold, chunk);
      if (task.scheme === 'plain') return plainChunkId(asBuf(task.idKey), chunk);
      const { digests } = blockDigests(chunk);
      return Buffer.concat([fixedChunkId(asBuf(task.idKey), chunk.length, digests), truncateDigests(digests)]);
    }
    case 'seal-held': {
      const chunk = held.get(task.hold);
      held.delete(task.hold);
      if (!chunk) throw new Error(`chunk ${task.hold} is not held by this worker`);
      const payload = task.delta ? encodeDelta(asBuf(task.delta.base), chunk, task.delta.changed, task.delta.blockSize) : chunk;
      return sealBlob(asBuf(task.key), asBuf(task.aad), payload, task.level);
    }
    case 'ring-digest': {
      const chunk = Buffer.from(ringOf(task.ring), task.off, task.len);
      const idKey = keyOf(task.idKey);
      if (task.scheme === 'plain') return plainChunkId(idKey, chunk);
      return fixedDigestReply(idKey, chunk);
    }
    case 'ring-read-digest': {
      const region = Buffer.from(ringOf(task.ring), task.off, task.len);
      const n = readInto(region, task.fd, task.position);
      const head = Buffer.alloc(4);
      head.writeUInt32LE(n);
      const chunk = region.subarray(0, n);
      if (n === 0 || isAllZero(chunk)) return head;
      return fixedDigestReply(keyOf(task.idKey), chunk, head);
    }
    case 'ring-read-seal': {
      const region = Buffer.from(ringOf(task.ring), task.off, task.len + SEAL_SLACK);
      const n = readInto(region.subarray(0, task.len), task.fd, task.position);
      const head = Buffer.alloc(8);
      head.writeUInt32LE(n);
      const chunk = region.subarray(0, n);
      if (n === 0 || isAllZero(chunk)) return head.subarray(0, 4);
      // The digest reply first (sealing overwrites the chunk); its sealed-length slot is filled after.
      const reply = fixedDigestReply(keyOf(task.idKey), chunk, head);
      reply.writeUInt32LE(sealBlobInto(scratch, keyOf(task.key), reply.subarray(8, 40), chunk, task.level, region, 0), 4);
      return reply;
    }
    case 'hash-begin':
      streamHashes.set(task.stream, crypto.createHash('sha256'));
      return EMPTY;
    case 'hash-update': {
      const h = streamHashes.get(task.stream);
      if (!h) throw new Error(`stream ${task.stream} is not being hashed by this worker`);
      h.update(Buffer.from(ringOf(task.ring), task.off, task.len));
      return EMPTY;
    }
    case 'hash-end': {
      const h = streamHashes.get(task.stream);
      streamHashes.delete(task.stream);
      if (!h) throw new Error(`stream ${task.stream} is not being hashed by this worker`);
      return h.digest();
    }
    case 'ring-seal': {
      const region = Buffer.from(ringOf(task.ring), task.off, task.len + SEAL_SLACK);
      const chunk = region.subarray(0, task.len);
      const payload = task.delta ? encodeDelta(asBuf(task.delta.base), chunk, task.delta.changed, task.delta.blockSize) : chunk;
      const n = sealBlobInto(scratch, keyOf(task.key), asBuf(task.aad), payload, task.level, region, 0);
      const reply = Buffer.alloc(4);
      reply.writeUInt32LE(n);
      return reply;
    }
  }
}

parentPort?.on('message', (msg: PoolTask | DropMessage | AttachMessage) => {
  if (msg.op === 'attach-ring') {
    // One ring per pool: a new ring replaces the old one (which is then garbage here too).
    rings.clear();
    rings.set(msg.id, msg.sab);
    return;
  }
  if (msg.op === 'attach-key') {
    keys.set(msg.id, Buffer.from(msg.key));
    return;
  }
  gcHint.tick();
  // This one task also seals (as ring-seal would): it leaves as much dead ciphertext behind as two.
  if (msg.op === 'ring-read-seal') gcHint.tick();
  if (msg.op === 'drop') {
    held.delete(msg.hold);
    return;
  }
  try {
    const out = handle(msg);
    // Small results (digests, lengths, hash acknowledgements) are copied into an exact-size array
    // and cloned (a view of Node's shared pool would clone its whole 8 KiB slab). Large ones are
    // transferred without a copy when they own their ArrayBuffer.
    if (out.byteLength < 64 * 1024) {
      parentPort!.postMessage({ seq: msg.seq, ok: true, data: new Uint8Array(out) } satisfies PoolReply);
      return;
    }
    let exact: Uint8Array = out;
    if (out.byteOffset !== 0 || out.byteLength !== out.buffer.byteLength) {
      exact = new Uint8Array(out.length);
      exact.set(out);
    }
    const reply: PoolReply = { seq: msg.seq, ok: true, data: exact };
    parentPort!.postMessage(reply, [exact.buffer as ArrayBuffer]);
  } catch (err) {
    if (msg.op === 'digest' || msg.op === 'seal-held') held.delete(msg.hold);
    const code = (err as NodeJS.ErrnoException).code;
    const reply: PoolReply = { seq: msg.seq, ok: false, integrity: err instanceof BlobIntegrityError, message: (err as Error).message, ...(code ? { code } : {}) };
    parentPort!.postMessage(reply);
  }
});
