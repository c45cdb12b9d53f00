// The pack trailer (format version 2): every pack ends with its own sealed index, so the index
// files can be rebuilt from the packs alone (`repo repair index`).
//
//   pack = blob_1 ‖ … ‖ blob_n ‖ T ‖ u32le length(T) ‖ "PFT2"
//   T    = sealed JSON PackIndexFile (K_index, AAD `pack-trailer:<pack-id>`)
//
// A pack of version 1 has no trailer: its last four bytes are the tag of its last blob, which
// matches the magic with probability 2^-32 and then fails to open like a damaged trailer.
import { openJson, sealJson } from '../../streams/blob-crypto.js';
import type { PackIndexFile } from './blob-index.js';
import { FORMAT_VERSION, packKey, requireVersion } from './format.js';
import type { Backend } from './types.js';

export const TRAILER_MAGIC = Buffer.from('PFT2', 'latin1');
/** u32 length + magic. */
export const TRAILER_FOOTER_BYTES = 8;
/** A trailer larger than this is damage (a pack of 8 MiB lists a few hundred blobs at most). */
const MAX_TRAILER_BYTES = 16 * 1024 * 1024;

/** The trailer bytes (sealed index, length, magic) appended to a pack's blobs. */
export function buildTrailer(key: Buffer, file: PackIndexFile): Buffer {
  const sealed = sealJson(key, `pack-trailer:${file.pack}`, { ...file, version: FORMAT_VERSION });
  const footer = Buffer.alloc(TRAILER_FOOTER_BYTES);
  footer.writeUInt32LE(sealed.length, 0);
  TRAILER_MAGIC.copy(footer, 4);
  return Buffer.concat([sealed, footer]);
}

export type TrailerRead =
  | { kind: 'ok'; file: PackIndexFile; trailerBytes: number }
  /** No magic at the end: a version-1 pack, or a pack cut short. */
  | { kind: 'none' }
  | { kind: 'damaged'; reason: string };

/** Reads and opens the trailer of a stored pack of `size` bytes. */
export async function readTrailer(backend: Backend, key: Buffer, packId: string, size: number): Promise<TrailerRead> {
  if (size < TRAILER_FOOTER_BYTES) return { kind: 'none' };
  const footer = await backend.getRange(packKey(packId), size - TRAILER_FOOTER_BYTES, TRAILER_FOOTER_BYTES);
  if (footer.length !== TRAILER_FOOTER_BYTES || !footer.subarray(4).equals(TRAILER_MAGIC)) return { kind: 'none' };
  const length = footer.readUInt32LE(0);
  if (length > MAX_TRAILER_BYTES || length > size - TRAILER_FOOTER_BYTES) return { kind: 'damaged', reason: `trailer length ${length} does not fit the pack` };
  const sealed = await backend.getRange(packKey(packId), size - TRAILER_FOOTER_BYTES - length, length);
  let file: PackIndexFile;
  try {
    file = openJson<PackIndexFile>(key, `pack-trailer:${packId}`, sealed);
    requireVersion('a pack trailer', file.version, backend.location);
  } catch (err) {
    return { kind: 'damaged', reason: `the trailer cannot be decrypted: ${(err as Error).message}` };
  }
  if (file.pack !== packId || !Array.isArray(file.blobs)) return { kind: 'damaged', reason: 'the trailer names another pack' };
  return { kind: 'ok', file, trailerBytes: length + TRAILER_FOOTER_BYTES };
}
