// Turns a chunk into a stored blob and back: zstd compression (skipped when it does not shrink the
// chunk) and AES-256-GCM with a fresh random 96-bit nonce per blob and the chunk ID as associated
// data, so a blob cannot be swapped for another one without the tag failing.
//
// Stored blob = nonce (12) ‖ ciphertext ‖ tag (16); plaintext = mode (1 byte: 0 raw, 1 zstd) ‖ payload.
import crypto from 'node:crypto';
import { Compressor, Decompressor } from 'zstd-napi';

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const BLOB_OVERHEAD = NONCE_BYTES + TAG_BYTES + 1;
const MODE_RAW = 0;
const MODE_ZSTD = 1;

export class BlobIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlobIntegrityError';
  }
}

const compressors = new Map<number, Compressor>();
function compressor(level: number): Compressor {
  let c = compressors.get(level);
  if (!c) {
    c = new Compressor();
    c.setParameters({ compressionLevel: level });
    compressors.set(level, c);
  }
  return c;
}
let decompressor: Decompressor | undefined;

/** Compresses (level 0 = never) and encrypts one chunk. */
export function sealBlob(key: Buffer, aad: Buffer, data: Uint8Array, level: number): Buffer {
  let mode = MODE_RAW;
  let payload: Uint8Array = data;
  if (level > 0 && data.length >= 64) {
    const packed = compressor(level).compress(data);
    // Keep the compressed form only if it saves something real (≥ 1/32): otherwise decompression
    // cost on restore buys nothing.
    if (packed.length < data.length - (data.length >> 5)) {
      mode = MODE_ZSTD;
      payload = packed;
    }
  }
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const out = Buffer.allocUnsafe(NONCE_BYTES + 1 + payload.length + TAG_BYTES);
  nonce.copy(out, 0);
  let pos = NONCE_BYTES;
  pos += cipher.update(Buffer.from([mode])).copy(out, pos);
  pos += cipher.update(payload).copy(out, pos);
  pos += cipher.final().copy(out, pos);
  cipher.getAuthTag().copy(out, pos);
  return out.subarray(0, pos + TAG_BYTES);
}

/** Decrypts and decompresses one blob; throws BlobIntegrityError when it was altered. */
export function openBlob(key: Buffer, aad: Buffer, blob: Uint8Array): Buffer {
  if (blob.length < BLOB_OVERHEAD) throw new BlobIntegrityError('blob is truncated');
  const b = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const nonce = b.subarray(0, NONCE_BYTES);
  const tag = b.subarray(b.length - TAG_BYTES);
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(b.subarray(NONCE_BYTES, b.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new BlobIntegrityError('authentication tag mismatch (data altered or wrong key)');
  }
  const mode = plain[0];
  const payload = plain.subarray(1);
  if (mode === MODE_RAW) return payload;
  if (mode === MODE_ZSTD) {
    decompressor ??= new Decompressor();
    return decompressor.decompress(payload);
  }
  throw new BlobIntegrityError(`unknown blob mode ${mode}`);
}

/** Small authenticated envelopes for JSON documents (config parts, index files, manifests). */
export function sealJson(key: Buffer, aad: string, value: unknown): Buffer {
  return sealBlob(key, Buffer.from(aad), Buffer.from(JSON.stringify(value)), 3);
}

export function openJson<T>(key: Buffer, aad: string, blob: Buffer): T {
  return JSON.parse(openBlob(key, Buffer.from(aad), blob).toString('utf8')) as T;
}
