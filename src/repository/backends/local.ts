// Local directory backend: each key is a file under the repository folder. Writes go to a
// temporary file first and are renamed (or hard-linked, for putIfAbsent) into place, so a reader
// never sees a half-written object, also after a crash.
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ExitCode, PermafrostError } from '../../errors.js';
import type { Backend } from '../types.js';
import { DIRECT_MIN_BYTES, DirectWriter } from './direct-write.js';

const TMP_DIR = 'tmp';

function mapFsError(err: unknown, what: string): never {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    throw new PermafrostError(`no space left while writing ${what}: free space on the repository's disk`, ExitCode.noSpace, { cause: err });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    throw new PermafrostError(`permission denied on ${what}: check the repository folder's owner and mode`, ExitCode.forbidden, { cause: err });
  }
  if (code === 'ENOENT') {
    throw new PermafrostError(`${what} does not exist`, ExitCode.notFound, { cause: err });
  }
  throw err;
}

export class LocalBackend implements Backend {
  readonly location: string;
  /** Large files (packs) bypass the page cache (direct-write.ts). */
  private readonly direct = new DirectWriter();
  /**
   * Folders this process has made sure exist, so that not every object (two per pack) costs the
   * main thread a mkdir. A folder removed meanwhile (ENOENT) is made again (withFolder).
   */
  private readonly folders = new Set<string>();

  private constructor(private readonly root: string) {
    this.location = pathToFileURL(root).href;
  }

  static async open(root: string, opts: { create: boolean }): Promise<LocalBackend> {
    if (opts.create) {
      await fs.mkdir(root, { recursive: true }).catch((e) => mapFsError(e, root));
    } else {
      const st = await fs.stat(root).catch(() => undefined);
      if (!st?.isDirectory()) {
        throw new PermafrostError(
          `repository folder ${root} does not exist: create it with \`permafrost repo init --repo ${root}\``,
          ExitCode.repository,
        );
      }
    }
    return new LocalBackend(root);
  }

  private file(key: string): string {
    if (key.includes('..') || key.startsWith('/') || key.includes('\\')) {
      throw new PermafrostError(`invalid object key "${key}"`, ExitCode.internal);
    }
    return path.join(this.root, key);
  }

  /** Writes to tmp/<random> and returns its path; the caller moves it into place. */
  private async folder(dir: string): Promise<void> {
    if (this.folders.has(dir)) return;
    await fs.mkdir(dir, { recursive: true });
    this.folders.add(dir);
  }

  /** Runs `op` once `dir` exists; if `dir` vanished meanwhile (ENOENT), makes it again and retries once. */
  private async withFolder<T>(dir: string, op: () => Promise<T>): Promise<T> {
    await this.folder(dir);
    try {
      return await op();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !this.folders.delete(dir)) throw err;
      await this.folder(dir);
      return op();
    }
  }

  private writeTemp(data: Buffer | Buffer[], onWritten?: () => void): Promise<string> {
    const dir = path.join(this.root, TMP_DIR);
    // ENOENT can only come from creating the file, before anything was written: a retry is safe.
    return this.withFolder(dir, () => this.writeTempIn(dir, data, onWritten));
  }

  private async writeTempIn(dir: string, data: Buffer | Buffer[], onWritten?: () => void): Promise<string> {
    const tmp = path.join(dir, `${randomBytes(8).toString('hex')}.tmp`);
    const parts = Buffer.isBuffer(data) ? [data] : data;
    if (parts.reduce((n, p) => n + p.length, 0) >= DIRECT_MIN_BYTES && (await this.direct.write(tmp, parts, onWritten))) return tmp;
    const fh = await fs.open(tmp, 'wx', 0o600);
    try {
      if (Buffer.isBuffer(data)) await fh.writeFile(data);
      else await writeAllParts(fh, data);
      // The bytes are in the page cache: the caller may reuse its buffers while fsync runs (for a
      // pack, tens of milliseconds of disk time the backup no longer waits for).
      onWritten?.();
      await fh.sync();
    } finally {
      await fh.close();
    }
    return tmp;
  }

  async putParts(key: string, parts: Buffer[], onWritten?: () => void): Promise<void> {
    await this.put(key, parts, onWritten);
  }

  async put(key: string, data: Buffer | Buffer[], onWritten?: () => void): Promise<void> {
    const target = this.file(key);
    try {
      const tmp = await this.writeTemp(data, onWritten);
      await this.withFolder(path.dirname(target), () => fs.rename(tmp, target));
    } catch (err) {
      mapFsError(err, `${this.location}/${key}`);
    }
  }

  async putIfAbsent(key: string, data: Buffer): Promise<boolean> {
    const target = this.file(key);
    let tmp: string | undefined;
    try {
      tmp = await this.writeTemp(data);
      // link() fails with EEXIST when the target exists: an atomic create-if-absent.
      const from = tmp;
      await this.withFolder(path.dirname(target), () => fs.link(from, target));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      return mapFsError(err, `${this.location}/${key}`);
    } finally {
      if (tmp) await fs.unlink(tmp).catch(() => undefined);
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.file(key));
    } catch (err) {
      return mapFsError(err, `${this.location}/${key}`);
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    const got = await this.getRangeInto(key, offset, buf);
    return got === length ? buf : buf.subarray(0, got);
  }

  async getRangeInto(key: string, offset: number, into: Buffer): Promise<number> {
    let fh: fs.FileHandle | undefined;
    try {
      fh = await fs.open(this.file(key), fsConstants.O_RDONLY);
      let got = 0;
      while (got < into.length) {
        const { bytesRead } = await fh.read(into, got, into.length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got;
    } catch (err) {
      return mapFsError(err, `${this.location}/${key}`);
    } finally {
      await fh?.close();
    }
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    const st = await fs.stat(this.file(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      return mapFsError(err, `${this.location}/${key}`);
    });
    return st?.isFile() ? { size: st.size } : undefined;
  }

  async *list(prefix: string): AsyncIterable<{ key: string; size: number }> {
    // A prefix may end inside a name (`snapshots/ab`): walk from its folder part and filter.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const start = folder ? this.file(folder) : this.root;
    const stack = [start];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
        throw err;
      }
      for (const e of entries) {
        const full = path.join(dir, e.name);
        const key = path.relative(this.root, full).split(path.sep).join('/');
        if (key === TMP_DIR || key.startsWith(`${TMP_DIR}/`)) continue;
        if (e.isDirectory()) {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) stack.push(full);
        } else if (e.isFile() && key.startsWith(prefix)) {
          const st = await fs.stat(full).catch(() => undefined);
          if (st) yield { key, size: st.size };
        }
      }
    }
  }

  /**
   * Removes files left in tmp/ by writes that never finished (kill -9, a full disk) and not
   * modified for `olderThanMs`; returns how many. A write in progress keeps its file fresh.
   */
  async removeStaleTemporaries(olderThanMs: number): Promise<number> {
    const dir = path.join(this.root, TMP_DIR);
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    let removed = 0;
    const now = Date.now();
    for (const name of names) {
      if (!name.endsWith('.tmp')) continue;
      const file = path.join(dir, name);
      const st = await fs.stat(file).catch(() => undefined);
      if (!st?.isFile() || now - st.mtimeMs < olderThanMs) continue;
      if (await fs.unlink(file).then(() => true, () => false)) removed++;
    }
    return removed;
  }

  async delete(key: string): Promise<void> {
    await fs.unlink(this.file(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') mapFsError(err, `${this.location}/${key}`);
    });
  }

  async close(): Promise<void> {
    /* nothing held open */
  }
}

/** Writes `parts` one after the other from the start of the file (writev, resuming short writes). */
async function writeAllParts(fh: fs.FileHandle, parts: Buffer[]): Promise<void> {
  const MAX_IOV = 1024;
  let position = 0;
  let i = 0;
  let skip = 0; // bytes of parts[i] already written
  while (i < parts.length) {
    const batch = parts.slice(i, i + MAX_IOV);
    if (skip > 0) batch[0] = batch[0].subarray(skip);
    const want = batch.reduce((a, b) => a + b.length, 0);
    const { bytesWritten } = await fh.writev(batch, position);
    if (bytesWritten === 0 && want > 0) throw new Error('writev wrote nothing');
    position += bytesWritten;
    let left = bytesWritten + skip;
    skip = 0;
    while (i < parts.length && left >= parts[i].length) {
      left -= parts[i].length;
      i++;
    }
    skip = left;
  }
}
