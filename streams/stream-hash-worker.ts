// Worker thread that computes the whole-stream SHA-256 of backups (backup-file and friends), off the main thread. The main
// thread sends the regions of the shared ring in stream order; the worker hashes each one where it
// lies and acknowledges it, after which the region may be freed or sealed over (the seal workers
// overwrite a chunk with its blob). One worker serves every stream of a pool, each by its own id.
import crypto from 'node:crypto';
import { parentPort } from 'node:worker_threads';

export type HashTask =
  | { op: 'attach-ring'; sab: SharedArrayBuffer }
  | { op: 'begin'; stream: number }
  | { op: 'update'; stream: number; off: number; len: number }
  | { op: 'end'; stream: number }
  | { op: 'abort'; stream: number };
/** `update` → `{stream}` once the region is hashed; `end` → `{stream, digest}` (hex). */
export type HashReply = { stream: number; digest?: string; error?: string };

let ring: SharedArrayBuffer | undefined;
const hashes = new Map<number, crypto.Hash>();

parentPort?.on('message', (msg: HashTask) => {
  switch (msg.op) {
    case 'attach-ring':
      ring = msg.sab;
      return;
    case 'begin':
      hashes.set(msg.stream, crypto.createHash('sha256'));
      return;
    case 'abort':
      hashes.delete(msg.stream);
      return;
    case 'update': {
      const h = hashes.get(msg.stream);
      let error: string | undefined;
      if (!h || !ring) error = `stream ${msg.stream} has no hash or ring in the hash worker`;
      else h.update(Buffer.from(ring, msg.off, msg.len));
      parentPort!.postMessage({ stream: msg.stream, error } satisfies HashReply);
      return;
    }
    case 'end': {
      const h = hashes.get(msg.stream);
      hashes.delete(msg.stream);
      parentPort!.postMessage({ stream: msg.stream, digest: h?.digest('hex'), error: h ? undefined : `stream ${msg.stream} is unknown` } satisfies HashReply);
      return;
    }
  }
});
