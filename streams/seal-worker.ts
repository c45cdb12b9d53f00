// Worker thread of the crypto pool: compresses+encrypts new chunks (backup) or decrypts+
// decompresses blobs (restore, check), so both cores work while the main thread reads and hashes.
import { parentPort } from 'node:worker_threads';
import { BlobIntegrityError, openBlob, sealBlob } from './blob-crypto.js';

export type SealTask = { op: 'seal'; seq: number; key: Uint8Array; aad: Uint8Array; data: Uint8Array; level: number };
export type OpenTask = { op: 'open'; seq: number; key: Uint8Array; aad: Uint8Array; data: Uint8Array };
export type PoolTask = SealTask | OpenTask;
export type PoolReply = { seq: number; ok: true; data: Uint8Array } | { seq: number; ok: false; integrity: boolean; message: string };

const asBuf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

parentPort?.on('message', (task: PoolTask) => {
  try {
    const out =
      task.op === 'seal'
        ? sealBlob(asBuf(task.key), asBuf(task.aad), task.data, task.level)
        : openBlob(asBuf(task.key), asBuf(task.aad), task.data);
    // Transfer without a copy when the result owns its ArrayBuffer; small results come from
    // Node's shared pool and are copied so the transfer does not ship (and detach) the slab.
    let exact: Uint8Array = out;
    if (out.byteOffset !== 0 || out.byteLength !== out.buffer.byteLength) {
      exact = new Uint8Array(out.length);
      exact.set(out);
    }
    const reply: PoolReply = { seq: task.seq, ok: true, data: exact };
    parentPort!.postMessage(reply, [exact.buffer as ArrayBuffer]);
  } catch (err) {
    const reply: PoolReply = { seq: task.seq, ok: false, integrity: err instanceof BlobIntegrityError, message: (err as Error).message };
    parentPort!.postMessage(reply);
  }
});
