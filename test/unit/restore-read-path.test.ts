// The restore read path (src/repository/stream-reader.ts): planned range reads, read workers
// writing into the output arena, out-of-order positioned writes, holes, delta chains, stdout, and
// damage reported with exit code 9. The CLI tests run the real binary on a real local repository.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { applyDelta, applyDeltaInPlace, encodeDelta } from '../../src/repository/delta.js';
import { OutputArena } from '../../src/repository/output-arena.js';
import { dataRuns } from '../../streams/data-runs.js';
import { blockDigests } from '../../streams/keyed-hash.js';
import { BIN, cli, json, requireBuilt, shell } from './cli-repo-helpers.js';
import { MiB, prng, tempDir } from './repository-helpers.js';

describe('output arena', () => {
  it('allocates first-fit, coalesces freed neighbours and serves waiters in order', async () => {
    const a = new OutputArena(64 * 1024);
    expect(a.maxSlot).toBe(32 * 1024); // half the arena
    const [x, y, z] = await a.alloc([16 * 1024, 16 * 1024, 16 * 1024]);
    expect(new Set([x, y, z]).size).toBe(3);
    const [w] = await a.alloc([10_000]); // rounded up to 12 KiB
    expect(a.available).toBe(4096);
    const order: string[] = [];
    const big = a.alloc([32 * 1024]).then((o) => (order.push('big'), o));
    const small = a.alloc([4096]).then((o) => (order.push('small'), o)); // fits now, but waits its turn
    a.release(x, 16 * 1024);
    await Promise.resolve();
    expect(order).toEqual([]);
    a.release(y, 16 * 1024); // x and y coalesce: 32 KiB free for `big`
    const [b] = await big;
    const [s] = await small;
    expect(order).toEqual(['big', 'small']);
    expect(b).toBe(Math.min(x, y));
    expect(s).not.toBe(b);
    a.view(b, 4).write('abcd', 'latin1');
    expect(a.view(b, 4).toString('latin1')).toBe('abcd');
    for (const [o, n] of [[b, 32 * 1024], [s, 4096], [z, 16 * 1024], [w, 10_000]] as const) a.release(o, n);
    expect(a.available).toBe(64 * 1024);
  });
});

describe('applyDeltaInPlace', () => {
  it('rebuilds the same chunk as applyDelta, in the base buffer', () => {
    const base = prng(MiB, 'base');
    const next = Buffer.from(base);
    prng(4096 * 3, 'changes').copy(next, 4096 * 7);
    next.fill(0, 4096 * 200, 4096 * 201);
    const baseId = prng(32, 'id');
    const payload = encodeDelta(baseId, next, [7, 8, 9, 200]);
    const expected = applyDelta(base, payload);
    const target = Buffer.from(base);
    applyDeltaInPlace(target, payload, baseId.toString('hex'));
    expect(target.equals(next)).toBe(true);
    expect(expected.equals(next)).toBe(true);
    expect(() => applyDeltaInPlace(Buffer.from(base), payload, 'ff'.repeat(32))).toThrow(/another base/);
    expect(() => applyDeltaInPlace(Buffer.alloc(1000), payload, baseId.toString('hex'))).toThrow(/expected/);
  });
});

describe('dataRuns', () => {
  it('finds the non-zero 4 KiB runs, from the bytes or from the block digests', () => {
    const b = Buffer.alloc(10 * 4096 + 100);
    b[5] = 1; // block 0
    b[4096 + 4095] = 2; // block 1 (last byte only)
    b[4 * 4096 + 2000] = 3; // block 4 (middle byte only)
    b[10 * 4096 + 99] = 4; // the short last block
    const expected = [
      [0, 2 * 4096],
      [4 * 4096, 5 * 4096],
      [10 * 4096, 10 * 4096 + 100],
    ];
    expect(dataRuns(b)).toEqual(expected);
    expect(dataRuns(b, blockDigests(b).digests)).toEqual(expected);
    expect(dataRuns(Buffer.alloc(8192))).toEqual([]);
    expect(dataRuns(Buffer.alloc(8192, 7))).toEqual([[0, 8192]]);
  });
});

describe('CLI: restore-file read path', () => {
  const tmp = tempDir('restore-read');
  const repo = path.join(tmp.dir, 'repo');
  const env = { PERMAFROST_PASSWORD: 'pw-read' };
  const image = path.join(tmp.dir, 'disk.img');
  let day1: Buffer;
  let day2: Buffer;
  let snap1: string;
  let snap2: string;
  let snap3: string;
  let day3: Buffer;

  /** A sparse disk: zero extents, random and text-like data, not aligned to chunks. */
  function disk(): Buffer {
    const b = Buffer.alloc(40 * MiB);
    prng(5 * MiB + 12_288, 'r1').copy(b, 0);
    const text = Buffer.from('2026-11-22T01:00:00Z host app[42]: GET /api/v1/items 200 1.2ms\n'.repeat(140_000)).subarray(0, 7 * MiB);
    text.copy(b, 9 * MiB + 4096);
    prng(3 * MiB, 'r2').copy(b, 20 * MiB);
    prng(2 * MiB + 8192, 'r3').copy(b, 30 * MiB - 8192);
    // 40 MiB - 32 MiB: a trailing zero extent (a hole at the end of the file).
    return b;
  }

  /** Day 2: scattered 4 KiB blocks rewritten, a 2 MiB region, a block zeroed inside data. */
  function changed(src: Buffer, seed: string): Buffer {
    const out = Buffer.from(src);
    const rnd = prng(64 * 4, seed);
    for (let i = 0; i < 64; i++) {
      const blk = rnd.readUInt32LE(i * 4) % (out.length / 4096);
      prng(4096, `${seed}-${i}`).copy(out, blk * 4096);
    }
    prng(2 * MiB, `${seed}-region`).copy(out, 21 * MiB + 4096);
    out.fill(0, 3 * MiB, 3 * MiB + 4096);
    return out;
  }

  async function backup(data: Buffer): Promise<string> {
    writeFileSync(image, data);
    return json(await cli(['backup-file', image, '--repo', repo, '--json'], env)).snapshot.id as string;
  }

  async function restoreToFile(snapshot: string, extra: Record<string, string> = {}): Promise<{ out: Buffer; blocks: number; code: number | null }> {
    const out = path.join(tmp.dir, `restored-${snapshot.slice(0, 8)}.img`);
    const r = await cli(['restore-file', `${snapshot}:disk.img`, '-o', out, '--repo', repo, '--json'], { ...env, ...extra });
    expect(r.stderr).not.toMatch(/error/i);
    expect(json(r).verified).toBe(true);
    return { out: readFileSync(out), blocks: statSync(out).blocks * 512, code: r.code };
  }

  beforeAll(async () => {
    requireBuilt();
    // Small packs: a stream spreads over many packs, so reads are planned across them.
    expect((await cli(['repo', 'init', '--repo', repo, '--pack-size', '2'], env)).code).toBe(0);
    day1 = disk();
    day2 = changed(day1, 'day2');
    day3 = changed(day2, 'day3');
    snap1 = await backup(day1);
    snap2 = await backup(day2);
    snap3 = await backup(day3);
  }, 300_000);
  afterAll(() => tmp.cleanup());

  it('restores a full snapshot byte-identical, with its zero extents as holes', async () => {
    const { out, blocks } = await restoreToFile(snap1);
    expect(out.length).toBe(day1.length);
    expect(out.equals(day1)).toBe(true);
    // 17 MiB of data in 40 MiB: the zero extents (incl. the trailing one) take no blocks.
    expect(blocks).toBeLessThan(20 * MiB);
  }, 300_000);

  it('restores day-2 and day-3 snapshots (sub-block delta chains) byte-identical', async () => {
    const r2 = await restoreToFile(snap2);
    expect(r2.out.equals(day2)).toBe(true);
    const r3 = await restoreToFile(snap3);
    expect(r3.out.equals(day3)).toBe(true);
    expect(r3.blocks).toBeLessThan(24 * MiB);
  }, 300_000);

  it('verifies on the main thread too (PERMAFROST_RESTORE_VERIFY_IN=main)', async () => {
    const r3 = await restoreToFile(snap3, { PERMAFROST_RESTORE_VERIFY_IN: 'main' });
    expect(r3.out.equals(day3)).toBe(true);
  }, 300_000);

  it('restores correctly with a tiny output arena (reads wait for room, no deadlock)', async () => {
    const { out } = await restoreToFile(snap3, { PERMAFROST_RESTORE_ARENA_MIB: '4' });
    expect(out.equals(day3)).toBe(true);
  }, 300_000);

  it('writes the stream to stdout in order', async () => {
    for (const [id, data] of [
      [snap1, day1],
      [snap3, day3],
    ] as const) {
      const r = await cli(['restore-file', `${id}:disk.img`, '-o', '-', '--repo', repo], env);
      expect(r.code).toBe(0);
      expect(r.stdout.length).toBe(data.length);
      expect(r.stdout.equals(data)).toBe(true);
    }
  }, 300_000);

  it('stops with exit code 11 and the cause when the disk fills up under the read workers\' writes', async () => {
    // A 4 MiB tmpfs in a private mount namespace (unshare maps the caller to root there): the file
    // gets its 40 MiB size as a hole, then the chunks the read workers write (17 MiB) do not fit.
    const mnt = path.join(tmp.dir, 'small-fs');
    mkdirSync(mnt);
    const out = path.join(mnt, 'disk.img');
    const r = await shell(
      `unshare --mount --map-root-user sh -c 'mount -t tmpfs -o size=4m tmpfs "$0" && exec "$1" "$2" restore-file "$3" -o "$4" --repo "$5"' ` +
        [mnt, process.execPath, BIN, `${snap1}:disk.img`, out, repo].map((a) => `'${a}'`).join(' '),
      env,
    );
    expect(r.stderr).not.toMatch(/mount:|unshare:/);
    expect(r.code).toBe(ExitCode.noSpace);
    expect(r.stderr).toContain(`cannot write ${out}: ENOSPC: no space left on device`);
  }, 300_000);

  it('reports a damaged pack clearly with exit code 9', async () => {
    const dataDir = path.join(repo, 'data');
    const packs = readdirSync(dataDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name));
    // One flipped bit in the middle of every pack: every snapshot needs some damaged chunk.
    for (const pack of packs) {
      const fd = openSync(pack, 'r+');
      const pos = Math.floor(statSync(pack).size / 2);
      const byte = Buffer.alloc(1);
      readSync(fd, byte, 0, 1, pos);
      byte[0] ^= 0x01;
      writeSync(fd, byte, 0, 1, pos);
      closeSync(fd);
    }
    const out = path.join(tmp.dir, 'damaged.img');
    for (const snap of [snap1, snap3]) {
      const r = await cli(['restore-file', `${snap}:disk.img`, '-o', out, '--repo', repo], env);
      expect(r.code).toBe(ExitCode.corrupted);
      expect(r.stderr).toMatch(/chunk [0-9a-f]{16}… in pack [0-9a-f]{16}… is damaged \(authentication tag mismatch/);
      expect(r.stderr).toContain('permafrost repo check --read-data');
      const piped = await cli(['restore-file', `${snap}:disk.img`, '-o', '-', '--repo', repo], env);
      expect(piped.code).toBe(ExitCode.corrupted);
    }
  }, 300_000);
});
