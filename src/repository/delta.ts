// Sub-block deltas: a changed fixed-size chunk stored as "the chunk at the same offset of the parent
// snapshot, with these 4 KiB blocks replaced". Deciding needs only the block digests kept in the
// parent's stream map — the parent's data is never read during backup.
//
// Delta payload (before compression + encryption):
//   "PFD1" | base chunk ID (32) | chunk length u32 | block size u32 | bitmap (⌈blocks/8⌉) | changed blocks
import { BLOCK_HASH_BYTES, BLOCK_SIZE } from '../../streams/keyed-hash.js';

const MAGIC = 'PFD1';

/** Indexes of blocks whose truncated digests differ (a zero block has an all-zero digest). */
export function changedBlocks(newHashes: Buffer, parentHashes: Buffer | undefined): number[] | undefined {
  if (!parentHashes || parentHashes.length !== newHashes.length) return undefined;
  const out: number[] = [];
  const n = newHashes.length / BLOCK_HASH_BYTES;
  for (let i = 0; i < n; i++) {
    const o = i * BLOCK_HASH_BYTES;
    if (newHashes.compare(parentHashes, o, o + BLOCK_HASH_BYTES, o, o + BLOCK_HASH_BYTES) !== 0) out.push(i);
  }
  return out;
}

export function encodeDelta(baseId: Buffer, chunk: Buffer, changed: number[], blockSize = BLOCK_SIZE): Buffer {
  const blocks = Math.ceil(chunk.length / blockSize);
  const bitmapLen = Math.ceil(blocks / 8);
  let dataLen = 0;
  for (const b of changed) dataLen += Math.min(blockSize, chunk.length - b * blockSize);
  const out = Buffer.allocUnsafeSlow(4 + 32 + 8 + bitmapLen + dataLen);
  out.write(MAGIC, 0, 'latin1');
  baseId.copy(out, 4);
  out.writeUInt32LE(chunk.length, 36);
  out.writeUInt32LE(blockSize, 40);
  out.fill(0, 44, 44 + bitmapLen);
  let pos = 44 + bitmapLen;
  for (const b of changed) {
    out[44 + (b >> 3)] |= 1 << (b & 7);
    pos += chunk.copy(out, pos, b * blockSize, Math.min(chunk.length, (b + 1) * blockSize));
  }
  return out;
}

/** The base chunk ID a delta payload refers to. */
export function deltaBase(payload: Buffer): Buffer {
  if (!isDeltaPayload(payload)) throw new Error('not a delta payload');
  return payload.subarray(4, 36);
}

/** Rebuilds the chunk from its base content and the delta payload. */
export function applyDelta(base: Buffer, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafeSlow(base.length);
  base.copy(out);
  replaceBlocks(out, payload);
  return out;
}

/** Whether `payload` has a delta payload's magic and fixed header. */
export function isDeltaPayload(payload: Uint8Array): boolean {
  return payload.length >= 44 && Buffer.from(payload.buffer, payload.byteOffset, 4).toString('latin1') === MAGIC;
}

/**
 * Applies a delta payload onto `target`, which holds the base content (the chunk `baseId`) and is
 * modified in place.
 */
export function applyDeltaInPlace(target: Buffer, payload: Buffer, baseId: string): void {
  if (isDeltaPayload(payload) && payload.toString('hex', 4, 36) !== baseId) throw new Error('delta names another base than the index');
  replaceBlocks(target, payload);
}

/** Writes the changed blocks of a delta payload over the base content in `target`. */
function replaceBlocks(target: Buffer, payload: Buffer): void {
  if (!isDeltaPayload(payload)) throw new Error('not a delta payload');
  const length = payload.readUInt32LE(36);
  const blockSize = payload.readUInt32LE(40);
  if (target.length !== length) throw new Error(`delta base has ${target.length} bytes, expected ${length}`);
  if (blockSize === 0) throw new Error('delta block size 0');
  const blocks = Math.ceil(length / blockSize);
  const bitmap = 44;
  let pos = bitmap + Math.ceil(blocks / 8);
  for (let b = 0; b < blocks; b++) {
    if (payload[bitmap + (b >> 3)] & (1 << (b & 7))) {
      const len = Math.min(blockSize, length - b * blockSize);
      if (pos + len > payload.length) throw new Error('delta payload is truncated');
      payload.copy(target, b * blockSize, pos, pos + len);
      pos += len;
    }
  }
}
