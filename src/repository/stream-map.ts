// Stream maps: the ordered list of chunks of one stream, cut into segments of at most
// SEGMENT_ENTRIES entries. Each segment is stored as a `map` blob (encrypted under a key derived
// from the dedup key, so a write-only host can read its parent's map to compute deltas).
//
// Segment (binary, little endian): "PFM1" | chunker u8 (0 fixed, 1 cdc) | count u32 | entries…
// entry: kind u8 (0 zero run, 1 chunk) | length u32 | [id 32 bytes | hashCount u16 | hashes 8·n]
// Fixed-chunker entries carry the truncated per-4 KiB block digests used for sub-block deltas.
import { BLOCK_HASH_BYTES } from '../../streams/keyed-hash.js';
import type { ChunkerKind } from './types.js';

/**
 * Entries per segment written (readers take any count; segments of 1024 exist). 256 fixed chunks
 * of 1 MiB make a segment of ~512 KiB with its block digests: a 2 MiB segment, sealed in the
 * middle of a large backup and decoded for its parent's deltas, added ~10 MiB to the peak RSS of a
 * 2 GiB day 2.
 */
export const SEGMENT_ENTRIES = 256;
const MAGIC = 'PFM1';

export interface MapEntry {
  length: number;
  /** Chunk ID (32 bytes); undefined for an all-zero run (stored nowhere). */
  id?: Buffer;
  /** Truncated block digests (fixed chunker only). */
  blockHashes?: Buffer;
}

export function encodeSegment(chunker: ChunkerKind, entries: MapEntry[]): Buffer {
  let size = 9;
  for (const e of entries) size += 5 + (e.id ? 34 + (e.blockHashes?.length ?? 0) : 0);
  const out = Buffer.allocUnsafe(size);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt8(chunker === 'fixed' ? 0 : 1, 4);
  out.writeUInt32LE(entries.length, 5);
  let pos = 9;
  for (const e of entries) {
    out.writeUInt8(e.id ? 1 : 0, pos);
    out.writeUInt32LE(e.length, pos + 1);
    pos += 5;
    if (e.id) {
      e.id.copy(out, pos);
      pos += 32;
      const hashes = e.blockHashes ?? Buffer.alloc(0);
      out.writeUInt16LE(hashes.length / BLOCK_HASH_BYTES, pos);
      pos += 2;
      hashes.copy(out, pos);
      pos += hashes.length;
    }
  }
  return out;
}

export function decodeSegment(buf: Buffer): { chunker: ChunkerKind; entries: MapEntry[] } {
  if (buf.toString('latin1', 0, 4) !== MAGIC) throw new Error('not a stream map segment');
  const chunker: ChunkerKind = buf.readUInt8(4) === 0 ? 'fixed' : 'cdc';
  const count = buf.readUInt32LE(5);
  const entries: MapEntry[] = [];
  let pos = 9;
  for (let i = 0; i < count; i++) {
    const kind = buf.readUInt8(pos);
    const length = buf.readUInt32LE(pos + 1);
    pos += 5;
    if (kind === 0) {
      entries.push({ length });
      continue;
    }
    const id = Buffer.from(buf.subarray(pos, pos + 32));
    pos += 32;
    const n = buf.readUInt16LE(pos);
    pos += 2;
    const blockHashes = n > 0 ? Buffer.from(buf.subarray(pos, pos + n * BLOCK_HASH_BYTES)) : undefined;
    pos += n * BLOCK_HASH_BYTES;
    entries.push({ length, id, blockHashes });
  }
  return { chunker, entries };
}
