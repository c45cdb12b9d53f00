// Helpers shared by the repository and CLI tests: temporary folders, deterministic test data,
// RSA key files. No mocks: the local directory backend is the real thing.
import crypto from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

export const MiB = 1 << 20;
export const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `pf-test-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic pseudo-random bytes (AES-CTR keystream of a seed). */
export function prng(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  const cipher = crypto.createCipheriv('aes-256-ctr', crypto.createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  cipher.update(out).copy(out);
  return out;
}

/** A VM-disk-like image: 4 MiB regions of zeros, random bytes and log text (≈ 40/30/30 %). */
export function diskImage(size: number, seed: string): Buffer {
  const b = Buffer.alloc(size);
  const region = 4 * MiB;
  const rnd = prng(size, seed);
  for (let o = 0, i = 0; o < size; o += region, i++) {
    const kind = i % 10;
    const len = Math.min(region, size - o);
    if (kind < 4) continue;
    if (kind < 7) rnd.copy(b, o, o, o + len);
    else {
      let text = '';
      for (let n = 0; text.length < len; n++) text += `2026-11-21T10:${String(n % 60).padStart(2, '0')}:00Z host${n % 7} app[${n}]: request ${rnd.readUInt32LE((n * 4) % (size - 4))} ok\n`;
      b.write(text.slice(0, len), o, 'latin1');
    }
  }
  return b;
}

/** Day-2 copy: `count` scattered 4 KiB blocks rewritten. */
export function day2(image: Buffer, count: number, seed: string): Buffer {
  const out = Buffer.from(image);
  const rnd = prng(count * 4 + 4096 * count, seed);
  const blocks = image.length / 4096;
  for (let i = 0; i < count; i++) {
    const blk = rnd.readUInt32LE(i * 4) % blocks;
    rnd.copy(out, blk * 4096, count * 4 + i * 4096, count * 4 + (i + 1) * 4096);
  }
  return out;
}

export function source(data: Buffer, piece = 256 * 1024): Readable {
  const parts: Buffer[] = [];
  for (let o = 0; o < data.length; o += piece) parts.push(data.subarray(o, o + piece));
  return Readable.from(parts);
}

export async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of r) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

export function rsaKeyFiles(dir: string): { publicKey: string; privateKey: string } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pub = path.join(dir, 'writer.pub');
  const priv = path.join(dir, 'writer.pem');
  writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { publicKey: pub, privateKey: priv };
}

export function sha256(b: Buffer): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}
