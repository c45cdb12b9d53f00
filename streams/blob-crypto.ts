// Turns a chunk into a stored blob and back: zstd compression (skipped when it does not shrink the
// chunk) and AES-256-GCM with a fresh random 96-bit nonce per blob and the chunk ID as associated
// data, so a blob cannot be swapped for another one without the tag failing.
//
// Stored blob = nonce (12) ‖ ciphertext ‖ tag (16); plaintext = mode (1 byte: 0 raw, 1 zstd) ‖ payload.
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { Compressor, Decompressor } from 'zstd-napi';
import type * as ZstdBinding from 'zstd-napi/binding.js';
import { copyBytes } from './copy-bytes.js';

// The low-level binding compresses into a caller's buffer (the Compressor class allocates a new
// output buffer per call).
const zstd = createRequire(import.meta.url)('zstd-napi/binding') as typeof ZstdBinding;

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

/**
 * zstd window for chunks at the fast levels (1-2): 256 KiB instead of the level's 512 KiB+. On
 * chunks of at most a few MiB the smaller window compresses faster at practically the same ratio.
 * Frames decode the same way whatever the window.
 */
const FAST_LEVEL_WINDOW_LOG = 18;

/** Worker-local state for sealBlobInto: a zstd context and a reusable output buffer. */
export class SealScratch {
  private readonly cctx = new zstd.CCtx();
  /** The level the context's parameters are set for (compress2 uses them). */
  private level = Number.NaN;
  private buf: Buffer = Buffer.alloc(0);

  /** A buffer of at least `n` bytes, reused from call to call. */
  room(n: number): Buffer {
    if (this.buf.length < n) this.buf = Buffer.allocUnsafeSlow(Math.max(n, this.buf.length * 2));
    return this.buf;
  }

  /** zstd-compresses `src` into `dst`; returns the length, or -1 when it does not fit. */
  compressInto(dst: Uint8Array, src: Uint8Array, level: number): number {
    if (level !== this.level) {
      this.cctx.reset(zstd.ResetDirective.parameters);
      this.cctx.setParameter(zstd.CParameter.compressionLevel, level);
      if (level >= 1 && level <= 2) this.cctx.setParameter(zstd.CParameter.windowLog, FAST_LEVEL_WINDOW_LOG);
      this.level = level;
    }
    try {
      return this.cctx.compress2(dst, src);
    } catch {
      return -1; // dstSize_tooSmall: the data does not shrink enough to be worth it
    }
  }
}

/** Sample size and count of the compressibility probe. */
const PROBE_BYTES = 4096;
const PROBE_SAMPLES = 8;

/**
 * True when evenly spaced samples of `data` do not shrink under zstd by at least 1/32: the chunk is
 * then stored raw without compressing all of it (random data, already compressed files, ciphertext).
 * Chunks below 64 KiB are always tried whole.
 */
export function looksIncompressible(scratch: SealScratch, data: Uint8Array, level: number): boolean {
  if (data.length < 16 * PROBE_BYTES) return false;
  const out = scratch.room(zstd.compressBound(PROBE_BYTES));
  const step = Math.floor((data.length - PROBE_BYTES) / (PROBE_SAMPLES - 1));
  let packed = 0;
  for (let i = 0; i < PROBE_SAMPLES; i++) {
    const off = i * step;
    const n = scratch.compressInto(out, data.subarray(off, off + PROBE_BYTES), level);
    packed += n < 0 ? PROBE_BYTES : n;
  }
  const total = PROBE_BYTES * PROBE_SAMPLES;
  return packed >= total - (total >> 5);
}

/** Encrypts in pieces of this size, so each piece of ciphertext is a short-lived small buffer. */
const CIPHER_PIECE = 256 * 1024;

/**
 * Same envelope as sealBlob, written into `out` at `outOff` (which may overlap `data`); returns the
 * sealed length (≤ data.length + BLOB_OVERHEAD). No chunk-sized buffer is allocated: the sealed blob
 * lands where the caller wants it.
 *
 * A compressed payload is staged in the scratch buffer. A raw one (incompressible data) is
 * encrypted straight from `data` when `out` does not overlap it, or overlaps it from the same
 * start (a chunk sealed over itself in the ring): the ciphertext of each piece is written only
 * after the next piece has been read, and the output runs 13 bytes (nonce, mode) ahead of the input,
 * so it never overwrites plaintext that is still to be read.
 */
export function sealBlobInto(scratch: SealScratch, key: Buffer, aad: Buffer, data: Uint8Array, level: number, out: Buffer, outOff: number): number {
  let mode = MODE_RAW;
  let payloadLen = data.length;
  // Compressed output is kept only if it saves something real (≥ 1/32): otherwise decompression
  // cost on restore buys nothing. A smaller destination makes zstd give up early.
  const limit = data.length - (data.length >> 5);
  let stage: Buffer | undefined;
  if (level > 0 && data.length >= 64 && !looksIncompressible(scratch, data, level)) {
    stage = scratch.room(Math.max(data.length, zstd.compressBound(Math.min(data.length, PROBE_BYTES))));
    const n = scratch.compressInto(stage.subarray(0, limit), data, level);
    if (n >= 0 && n < limit) {
      mode = MODE_ZSTD;
      payloadLen = n;
    }
  }
  let payload: Uint8Array;
  if (mode === MODE_ZSTD) {
    payload = stage!;
  } else {
    const sameBuffer = data.buffer === out.buffer;
    const sameStart = sameBuffer && data.byteOffset === out.byteOffset + outOff;
    if (!sameBuffer || sameStart) payload = data;
    else {
      stage ??= scratch.room(data.length);
      stage.set(data);
      payload = stage;
    }
  }
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  // Output not written yet: it goes out one piece late (see above).
  let held: Buffer[] = [nonce, cipher.update(Buffer.from([mode]))];
  let pos = outOff;
  const flush = (): void => {
    for (const b of held) pos += copyBytes(b, out, pos);
    held = [];
  };
  for (let p = 0; p < payloadLen; p += CIPHER_PIECE) {
    const piece = cipher.update(payload.subarray(p, Math.min(payloadLen, p + CIPHER_PIECE)));
    flush();
    held.push(piece);
  }
  flush();
  pos += copyBytes(cipher.final(), out, pos);
  pos += copyBytes(cipher.getAuthTag(), out, pos);
  return pos - outOff;
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
