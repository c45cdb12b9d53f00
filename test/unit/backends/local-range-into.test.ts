// LocalBackend.getRangeInto (restore reads pack ranges into shared memory): the bytes land in the
// given view, a range past the end of the object is cut short, and a missing object is an error.
import crypto from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalBackend } from '../../../src/repository/backends/local.js';
import { tempDir } from '../repository-helpers.js';

describe('local backend getRangeInto', () => {
  const tmp = tempDir('range-into');
  afterAll(() => tmp.cleanup());

  it('reads a range into a view of shared memory, short at the end of the object', async () => {
    const root = path.join(tmp.dir, 'repo');
    mkdirSync(root);
    const backend = await LocalBackend.open(root, { create: false });
    const body = crypto.randomBytes(300_000);
    await backend.put('data/ab/pack', body);
    const shared = Buffer.from(new SharedArrayBuffer(1 << 20));
    const view = shared.subarray(4099, 4099 + 100_000);
    expect(await backend.getRangeInto('data/ab/pack', 12_345, view)).toBe(100_000);
    expect(view.equals(body.subarray(12_345, 112_345))).toBe(true);
    const tail = shared.subarray(0, 50_000);
    expect(await backend.getRangeInto('data/ab/pack', 280_000, tail)).toBe(20_000);
    expect(tail.subarray(0, 20_000).equals(body.subarray(280_000))).toBe(true);
    expect((await backend.getRange('data/ab/pack', 7, 70)).equals(body.subarray(7, 77))).toBe(true);
    await expect(backend.getRangeInto('data/ab/missing', 0, tail)).rejects.toThrow();
  });
});
