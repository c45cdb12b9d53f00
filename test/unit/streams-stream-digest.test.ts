// Stream digests (streams/stream-digest.ts): the 4 KiB block tree against a reference written
// from its definition in docs/repository-format.md, fed raw bytes in odd pieces or block digests,
// and the read workers' chunk-ID check that the restore folds into it.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sealBlob } from '../../streams/blob-crypto.js';
import { blockDigests, blockDigestsInto, fixedChunkId } from '../../streams/keyed-hash.js';
import { BlockTreeDigest, createStreamDigest, digestAlgOf, digestHex, streamDigestOf } from '../../streams/stream-digest.js';
import { OpenError, OpenPool } from '../../src/repository/open-pool.js';
import { OutputArena } from '../../src/repository/output-arena.js';
import { MiB, prng } from './repository-helpers.js';

/** The definition, spelled out: SHA-256(D_0 ‖ … ‖ D_{n-1} ‖ u64le(length)). */
function reference(data: Buffer): string {
  const outer = crypto.createHash('sha256');
  for (let off = 0; off < data.length; off += 4096) {
    const block = data.subarray(off, Math.min(data.length, off + 4096));
    outer.update(block.every((b) => b === 0) ? Buffer.alloc(32) : crypto.createHash('sha256').update(block).digest());
  }
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(data.length));
  return `sha256-b4k:${outer.update(len).digest('hex')}`;
}

function sample(): Buffer {
  const b = Buffer.alloc(3 * MiB + 1234);
  prng(MiB + 100, 'a').copy(b, 0);
  prng(4096 * 3, 'b').copy(b, 2 * MiB);
  b[3 * MiB + 1000] = 7; // data in the short last block
  return b;
}

describe('stream digests', () => {
  it('blockDigestsInto gives the same block digests as blockDigests (zero blocks, odd tails, into a given buffer)', () => {
    const data = prng(64 * 1024 + 1000, 'block-digests-into');
    data.fill(0, 8192, 16384); // two all-zero blocks
    data.fill(0, 20480, 24575); // zero but for its last byte
    data[20480 + 4095] = 7;
    data.fill(0, 28672 + 1, 32768); // zero but for its first byte
    data[28672] = 1;
    for (const len of [0, 1, 4096, 4097, 20000, data.length]) {
      const slice = data.subarray(0, len);
      expect(blockDigestsInto(slice).equals(blockDigests(slice).digests)).toBe(true);
    }
    const out = Buffer.alloc(blockDigests(data).digests.length + 32, 0xff);
    blockDigestsInto(data, out);
    expect(out.subarray(0, out.length - 32).equals(blockDigests(data).digests)).toBe(true);
    expect(out.subarray(8192 / 4096 * 32, 16384 / 4096 * 32).equals(Buffer.alloc(64))).toBe(true);
    expect(() => blockDigestsInto(data, Buffer.alloc(32))).toThrow(/digest buffer/);
  });

  it('block tree: equals the definition, whatever the piece sizes', () => {
    const data = sample();
    const want = reference(data);
    expect(streamDigestOf('sha256-b4k', data)).toBe(want);
    const d = createStreamDigest('sha256-b4k');
    for (let off = 0, i = 0; off < data.length; i++) {
      const n = [1, 4095, 4097, 65_536, 333_333][i % 5];
      d.update(data.subarray(off, off + n));
      off += n;
    }
    expect(d.digest()).toBe(want);
    // the empty stream, and a last block of zeros differ by the length
    expect(streamDigestOf('sha256-b4k', Buffer.alloc(0))).toBe(reference(Buffer.alloc(0)));
    expect(streamDigestOf('sha256-b4k', Buffer.alloc(5000))).not.toBe(streamDigestOf('sha256-b4k', Buffer.alloc(8192)));
  });

  it('block tree: fed block digests and zero runs as the backup and the restore do', () => {
    const data = sample();
    const t = new BlockTreeDigest();
    const chunk = MiB;
    for (let off = 0; off < data.length; off += chunk) {
      const part = data.subarray(off, Math.min(data.length, off + chunk));
      if (part.every((b) => b === 0)) t.updateZeros(part.length);
      else t.updateDigests(blockDigests(part).digests, part.length);
    }
    expect(t.digest()).toBe(reference(data));
    const off = new BlockTreeDigest();
    off.update(Buffer.alloc(100, 1));
    expect(() => off.updateZeros(4096)).toThrow(/block boundary/);
  });

  it('recorded strings name their algorithm; a bare hex digest is plain SHA-256', () => {
    const data = sample();
    const plain = streamDigestOf('sha256', data);
    expect(plain).toBe(crypto.createHash('sha256').update(data).digest('hex'));
    expect(digestAlgOf(plain)).toBe('sha256');
    const tree = streamDigestOf('sha256-b4k', data);
    expect(digestAlgOf(tree)).toBe('sha256-b4k');
    expect(digestHex(tree)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('read workers check a fixed chunk against its ID and return its block digests', async () => {
    const pool = new OpenPool(new OutputArena(8 * MiB), 1);
    try {
      const idKey = new Uint8Array(crypto.randomBytes(32));
      const dek = new Uint8Array(crypto.randomBytes(32));
      const good = prng(MiB, 'good');
      const { digests } = blockDigests(good);
      const id = fixedChunkId(Buffer.from(idKey), good.length, digests);
      const blob = sealBlob(Buffer.from(dek), id, good, 3);
      const ok = await pool.openVerified(Buffer.from(blob), [{ off: 0, len: blob.length, key: dek, aad: new Uint8Array(id), verify: idKey }]);
      expect(ok.plains[0].equals(good)).toBe(true);
      expect(ok.digests[0]!.equals(digests)).toBe(true);
      // authentic ciphertext (right key and AAD) whose content is not the chunk the ID names
      const other = sealBlob(Buffer.from(dek), id, prng(MiB, 'other'), 3);
      const err = await pool.openVerified(Buffer.from(other), [{ off: 0, len: other.length, key: dek, aad: new Uint8Array(id), verify: idKey }]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenError);
      expect((err as OpenError).integrity).toBe(true);
      expect((err as OpenError).message).toMatch(/chunk ID/);
    } finally {
      await pool.close();
    }
  });
});
