// O_DIRECT writes: packs (src/repository/backends/direct-write.ts) hold exactly the parts, for
// lengths that are and are not multiples of the block and staging sizes; a file system that refuses
// O_DIRECT (ramfs, in a private mount namespace) gets ordinary writes; a full disk under direct
// writes is reported like any other (exit 11).
import crypto from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectWriter } from '../../../src/repository/backends/direct-write.js';
import { LocalBackend } from '../../../src/repository/backends/local.js';
import { ExitCode } from '../../../src/errors.js';
import { BIN, requireBuilt, shell } from '../cli-repo-helpers.js';
import { tempDir } from '../repository-helpers.js';

const MiB = 1 << 20;

function partsOf(total: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let left = total, i = 0; left > 0; i++) {
    const n = Math.min(left, [1, 4095, 70_000, 700_000, 3 * MiB][i % 5]);
    parts.push(crypto.randomBytes(n));
    left -= n;
  }
  return parts;
}

describe('direct (O_DIRECT) pack writes', () => {
  const tmp = tempDir('direct-write');
  beforeAll(() => requireBuilt());
  afterAll(() => tmp.cleanup());

  it('write exactly the parts, whatever the total length', async () => {
    const writer = new DirectWriter();
    // 2 MiB staging, 4 KiB blocks: multiples of both, a ragged tail, one byte past a stage.
    for (const total of [4 * MiB, 5 * MiB + 123, 2 * MiB + 1, 300 * 1024 + 7, 256 * 1024]) {
      const parts = partsOf(total);
      const file = path.join(tmp.dir, `f-${total}`);
      let copied = false;
      expect(await writer.write(file, parts, () => (copied = true))).toBe(true);
      expect(copied).toBe(true);
      expect(readFileSync(file).equals(Buffer.concat(parts))).toBe(true);
    }
  });

  it('never overwrites an existing file', async () => {
    const file = path.join(tmp.dir, 'exists');
    writeFileSync(file, 'keep');
    await expect(new DirectWriter().write(file, partsOf(MiB))).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(file, 'utf8')).toBe('keep');
  });

  it('the local backend writes large and small objects alike', async () => {
    const root = path.join(tmp.dir, 'repo');
    mkdirSync(root);
    const backend = await LocalBackend.open(root, { create: false });
    const big = partsOf(3 * MiB + 5);
    await backend.putParts('data/aa/big', big);
    expect((await backend.get('data/aa/big')).equals(Buffer.concat(big))).toBe(true);
    const small = crypto.randomBytes(1000);
    await backend.put('index/small', small);
    expect((await backend.get('index/small')).equals(small)).toBe(true);
  });

  it('falls back to ordinary writes where the file system refuses O_DIRECT (ramfs)', async () => {
    const mnt = path.join(tmp.dir, 'ramfs');
    mkdirSync(mnt);
    const input = path.join(tmp.dir, 'input.img');
    const data = Buffer.concat([crypto.randomBytes(3 * MiB), Buffer.alloc(MiB), Buffer.from('x'.repeat(MiB + 17))]);
    writeFileSync(input, data);
    const out = path.join(tmp.dir, 'output.img');
    // ramfs lives only in this namespace: init, backup and restore (into the ramfs too, then copied
    // out) run inside it.
    const r = await shell(
      `unshare --mount --map-root-user sh -c 'mount -t ramfs ramfs "$0" && ` +
        `"$1" "$2" repo init --repo "$0/repo" && "$1" "$2" backup-file "$3" --repo "$0/repo" --name disk && ` +
        `"$1" "$2" restore-file latest:disk --repo "$0/repo" -o "$0/out.img" && cp "$0/out.img" "$4"' ` +
        [mnt, process.execPath, BIN, input, out].map((a) => `'${a}'`).join(' '),
      { PERMAFROST_PASSWORD: 'ramfs' },
    );
    expect(r.stderr).not.toMatch(/mount:|unshare:/);
    expect(r.code).toBe(0);
    expect(readFileSync(out).equals(data)).toBe(true);
  }, 120_000);

  it('stops with exit code 11 and the cause when the disk fills up under direct writes', async () => {
    const mnt = path.join(tmp.dir, 'small-fs');
    mkdirSync(mnt);
    const input = path.join(tmp.dir, 'random.img');
    writeFileSync(input, crypto.randomBytes(24 * MiB));
    // tmpfs takes O_DIRECT (Linux ≥ 6.6); 8 MiB holds the repository's start but not 24 MiB of packs.
    const r = await shell(
      `unshare --mount --map-root-user sh -c 'mount -t tmpfs -o size=8m tmpfs "$0" && ` +
        `"$1" "$2" repo init --repo "$0/repo" && exec "$1" "$2" backup-file "$3" --repo "$0/repo" --name disk' ` +
        [mnt, process.execPath, BIN, input].map((a) => `'${a}'`).join(' '),
      { PERMAFROST_PASSWORD: 'full' },
    );
    expect(r.stderr).not.toMatch(/mount:|unshare:/);
    expect(r.code).toBe(ExitCode.noSpace);
    expect(r.stderr).toMatch(/no space left while writing .*: free space on the repository's disk/);
  }, 120_000);
});
