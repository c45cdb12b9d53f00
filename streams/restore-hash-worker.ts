// Worker thread of `restore-file -o FILE`: computes the SHA-256 of the file being restored by
// reading it back (from the page cache) behind the writers, off the main thread. Chunks are
// written out of order; the main thread only publishes how far the file is complete from its
// start ("prefix") in a small shared control block, and the worker hashes up to there, sleeping
// on Atomics.wait when it has caught up (no message round trips while the restore runs).
// The worker may be started early (while the repository key is derived): it waits for one
// message naming the file and the control block.
//
// Control block (BigInt64Array over a SharedArrayBuffer):
//   [0] sequence — incremented (then notified) after every change below
//   [1] prefix   — bytes complete from the start of the file
//   [2] final    — the file's size once all is written, -1 before; -2 to abandon
import crypto from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

/** The one message the worker gets. */
export interface RestoreHashTask {
  /** Marks this message (the module may also be imported, for its constants, by other threads). */
  restoreHash: true;
  path: string;
  control: SharedArrayBuffer;
}
export type RestoreHashReply = { ok: true; digest: string; hashed: number } | { ok: false; message: string };

export const CTL_SEQ = 0;
export const CTL_PREFIX = 1;
export const CTL_FINAL = 2;
export const CTL_SLOTS = 3;

/**
 * Small reads keep each piece in the CPU cache between the copy and the hash, so the hash does
 * not fetch it from memory again.
 */
const READ_BYTES = 512 << 10;

function run(task: RestoreHashTask): RestoreHashReply {
  const ctl = new BigInt64Array(task.control);
  const sha = crypto.createHash('sha256');
  const buf = Buffer.allocUnsafeSlow(READ_BYTES);
  const fd = openSync(task.path, 'r');
  let hashed = 0;
  try {
    for (;;) {
      const seq = Atomics.load(ctl, CTL_SEQ);
      const prefix = Number(Atomics.load(ctl, CTL_PREFIX));
      const final = Number(Atomics.load(ctl, CTL_FINAL));
      if (final === -2) return { ok: false, message: 'abandoned' };
      if (hashed < prefix) {
        // Hash what is ready, then look at the control block again.
        const n = readSync(fd, buf, 0, Math.min(READ_BYTES, prefix - hashed), hashed);
        if (n === 0) return { ok: false, message: `the restored file ends at ${hashed} bytes` };
        sha.update(buf.subarray(0, n));
        hashed += n;
        continue;
      }
      if (final >= 0 && hashed >= final) {
        if (hashed !== final) return { ok: false, message: `hashed ${hashed} of ${final} bytes` };
        return { ok: true, digest: sha.digest('hex'), hashed };
      }
      Atomics.wait(ctl, CTL_SEQ, seq);
    }
  } finally {
    closeSync(fd);
  }
}

const port = parentPort;
port?.on('message', (msg: RestoreHashTask) => {
  if (msg?.restoreHash !== true) return;
  let reply: RestoreHashReply;
  try {
    reply = run(msg);
  } catch (err) {
    reply = { ok: false, message: (err as Error).message };
  }
  port.postMessage(reply);
});
