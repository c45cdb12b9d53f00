// The restore hash worker (streams/restore-hash-worker.ts): hashes a file behind a growing
// "complete up to" limit published in shared memory, and says so when the file is shorter.
import crypto from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnStreamWorker } from '../../src/repository/open-pool.js';
import { CTL_FINAL, CTL_PREFIX, CTL_SEQ, CTL_SLOTS, type RestoreHashReply, type RestoreHashTask } from '../../streams/restore-hash-worker.js';
import { MiB, prng, tempDir } from './repository-helpers.js';

function hashWorker(file: string): { publish: (slot: number, v: number) => void; result: Promise<RestoreHashReply>; worker: Worker } {
  const ctl = new BigInt64Array(new SharedArrayBuffer(CTL_SLOTS * 8));
  Atomics.store(ctl, CTL_FINAL, -1n);
  const worker = spawnStreamWorker('restore-hash-worker');
  const result = new Promise<RestoreHashReply>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const task: RestoreHashTask = { restoreHash: true, path: file, control: ctl.buffer as SharedArrayBuffer };
  worker.postMessage(task);
  const publish = (slot: number, v: number): void => {
    Atomics.store(ctl, slot, BigInt(v));
    Atomics.add(ctl, CTL_SEQ, 1n);
    Atomics.notify(ctl, CTL_SEQ);
  };
  return { publish, result, worker };
}

describe('restore hash worker', () => {
  const tmp = tempDir('restore-hash');
  afterAll(() => tmp.cleanup());

  it('hashes a file written out of order, behind the published prefix', async () => {
    const file = path.join(tmp.dir, 'out.img');
    const data = prng(3 * MiB + 12345, 'hash-worker');
    const fd = openSync(file, 'w+');
    const { publish, result, worker } = hashWorker(file);
    try {
      // Second half first, then the first: the prefix only grows once the start is written.
      const cut = 2 * MiB + 77;
      writeSync(fd, data, cut, data.length - cut, cut);
      await new Promise((r) => setTimeout(r, 20));
      writeSync(fd, data, 0, cut, 0);
      publish(CTL_PREFIX, cut);
      await new Promise((r) => setTimeout(r, 20));
      publish(CTL_PREFIX, data.length);
      publish(CTL_FINAL, data.length);
      const r = await result;
      expect(r).toEqual({ ok: true, digest: crypto.createHash('sha256').update(data).digest('hex'), hashed: data.length });
    } finally {
      closeSync(fd);
      await worker.terminate();
    }
  });

  it('reports a file shorter than the size it was told', async () => {
    const file = path.join(tmp.dir, 'short.img');
    const fd = openSync(file, 'w+');
    writeSync(fd, prng(MiB, 'short'));
    closeSync(fd);
    const { publish, result, worker } = hashWorker(file);
    try {
      publish(CTL_PREFIX, 2 * MiB);
      publish(CTL_FINAL, 2 * MiB);
      expect(await result).toEqual({ ok: false, message: `the restored file ends at ${MiB} bytes` });
    } finally {
      await worker.terminate();
    }
  });

  it('stops when abandoned', async () => {
    const file = path.join(tmp.dir, 'abandoned.img');
    closeSync(openSync(file, 'w+'));
    const { publish, result, worker } = hashWorker(file);
    try {
      publish(CTL_FINAL, -2);
      expect(await result).toEqual({ ok: false, message: 'abandoned' });
    } finally {
      await worker.terminate();
    }
  });
});
