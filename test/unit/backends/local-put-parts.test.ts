// LocalBackend.putParts: the file holds the parts in order, whatever their number and sizes, for
// large objects (direct writes through a staging buffer) and small ones (writev straight from the
// parts, more than one call).
import crypto from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalBackend } from '../../../src/repository/backends/local.js';
import { tempDir } from '../repository-helpers.js';

describe('local backend putParts', () => {
  const tmp = tempDir('put-parts');
  afterAll(() => tmp.cleanup());

  it('writes the concatenation of the parts', async () => {
    const root = path.join(tmp.dir, 'repo');
    mkdirSync(root);
    const backend = await LocalBackend.open(root, { create: false });
    const parts: Buffer[] = [];
    for (let i = 0; i < 2500; i++) parts.push(crypto.randomBytes(i % 7 === 0 ? 0 : (i * 37) % 5000));
    await backend.putParts('data/ab/parts', parts);
    expect((await backend.get('data/ab/parts')).equals(Buffer.concat(parts))).toBe(true);
    // Below the direct-write size (direct-write.ts): ordinary writev calls, more than one.
    const small: Buffer[] = [];
    for (let i = 0; i < 2100; i++) small.push(crypto.randomBytes(i % 9 === 0 ? 0 : 100));
    await backend.putParts('data/ab/small', small);
    expect((await backend.get('data/ab/small')).equals(Buffer.concat(small))).toBe(true);
    await backend.putParts('data/ab/none', []);
    expect((await backend.get('data/ab/none')).length).toBe(0);
  });

  it('makes a folder again when it was removed after an earlier write (folders are remembered)', async () => {
    const root = path.join(tmp.dir, 'repo-gone');
    mkdirSync(root);
    const backend = await LocalBackend.open(root, { create: false });
    const big = crypto.randomBytes(300 * 1024); // direct write
    await backend.put('data/cd/one', big);
    await backend.putIfAbsent('keys/one', Buffer.from('k1'));
    // Something (an operator, another process's clean-up) removes the folders meanwhile.
    rmSync(path.join(root, 'data'), { recursive: true });
    rmSync(path.join(root, 'keys'), { recursive: true });
    rmSync(path.join(root, 'tmp'), { recursive: true });
    await backend.put('data/cd/two', big);
    await backend.put('data/cd/three', Buffer.from('small'));
    expect(await backend.putIfAbsent('keys/two', Buffer.from('k2'))).toBe(true);
    expect((await backend.get('data/cd/two')).equals(big)).toBe(true);
    expect((await backend.get('data/cd/three')).toString()).toBe('small');
    expect((await backend.get('keys/two')).toString()).toBe('k2');
  });
});
