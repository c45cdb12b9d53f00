// Worker thread of the restore read path: opens (AES-256-GCM decrypt + zstd decompress) every blob
// of one byte range read from a pack, in one message, and hands the plaintexts back without a copy.
// Blob layout: see blob-crypto.ts (nonce ‖ ciphertext ‖ tag; plaintext = mode byte ‖ payload).
import crypto from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { Decompressor } from 'zstd-napi';
import { BLOB_OVERHEAD, NONCE_BYTES, TAG_BYTES } from './blob-crypto.js';
import { GcByBytes } from './gc-by-bytes.js';

export interface OpenBlobSpec {
  /** Position of the blob inside `data`. */
  off: number;
  len: number;
  key: Uint8Array;
  aad: Uint8Array;
}
export type OpenRangeTask = { seq: number; data: Uint8Array; blobs: OpenBlobSpec[] };
/** Plaintext i is `new Uint8Array(bufs[i], offs[i], lens[i])`. */
export type OpenRangeReply =
  | { seq: number; ok: true; bufs: ArrayBuffer[]; offs: number[]; lens: number[] }
  | { seq: number; ok: false; blob: number; integrity: boolean; message: string };

const MODE_RAW = 0;
const MODE_ZSTD = 1;

class IntegrityError extends Error {}

let decompressor: Decompressor | undefined;
// Collect the dead range buffers promptly (see gc-by-bytes.ts).
const gc = new GcByBytes(8 << 20);

function openOne(data: Buffer, spec: OpenBlobSpec): Buffer {
  if (spec.len < BLOB_OVERHEAD || spec.off + spec.len > data.length) throw new IntegrityError('blob is truncated');
  const b = data.subarray(spec.off, spec.off + spec.len);
  const decipher = crypto.createDecipheriv('aes-256-gcm', spec.key, b.subarray(0, NONCE_BYTES));
  decipher.setAAD(spec.aad);
  decipher.setAuthTag(b.subarray(b.length - TAG_BYTES));
  let plain: Buffer;
  try {
    plain = decipher.update(b.subarray(NONCE_BYTES, b.length - TAG_BYTES));
    const tail = decipher.final();
    if (tail.length > 0) plain = Buffer.concat([plain, tail]);
  } catch {
    throw new IntegrityError('authentication tag mismatch (data altered or wrong key)');
  }
  const mode = plain[0];
  if (mode === MODE_RAW) return plain.subarray(1);
  if (mode === MODE_ZSTD) {
    decompressor ??= new Decompressor();
    return decompressor.decompress(plain.subarray(1));
  }
  throw new IntegrityError(`unknown blob mode ${mode}`);
}

parentPort?.on('message', (task: OpenRangeTask) => {
  gc.add(task.data.byteLength);
  const data = Buffer.from(task.data.buffer, task.data.byteOffset, task.data.byteLength);
  const bufs: ArrayBuffer[] = [];
  const offs: number[] = [];
  const lens: number[] = [];
  const transfer = new Set<ArrayBuffer>();
  let i = 0;
  try {
    for (; i < task.blobs.length; i++) {
      const out = openOne(data, task.blobs[i]);
      let ab = out.buffer as ArrayBuffer;
      let off = out.byteOffset;
      // Small results live in Node's shared 8 KiB pool slab: copy them rather than ship the slab.
      if (out.length < 8192 && ab.byteLength > out.length + 1) {
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
    const reply: OpenRangeReply = { seq: task.seq, ok: true, bufs, offs, lens };
    parentPort!.postMessage(reply, [...transfer]);
  } catch (err) {
    const reply: OpenRangeReply = { seq: task.seq, ok: false, blob: i, integrity: err instanceof IntegrityError, message: (err as Error).message };
    parentPort!.postMessage(reply);
  }
});
