// Output files written whole or not at all: the data goes to a temporary name beside the target
// (same folder, so the rename is atomic) and replaces the target only on success. A failure leaves
// a previous file at the target untouched and removes the temporary file.
import { randomBytes } from 'node:crypto';
import { rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ExitCode, PermafrostError } from '../errors.js';

/** The error of a failed write to `file` as a PermafrostError with its documented exit code. */
export function outputWriteError(file: string, err: unknown): PermafrostError {
  if (err instanceof PermafrostError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e.code === 'ENOSPC' || e.code === 'EDQUOT' ? ExitCode.noSpace : ExitCode.config;
  const hint = e.code === 'ENOENT' ? ' (does its folder exist?)' : e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS' ? ' (permission denied: choose a writable place)' : '';
  return new PermafrostError(`cannot write ${file}: ${e.message ?? String(err)}${hint}`, code, { cause: err });
}

/**
 * Runs `write` on a temporary path beside `target`, then renames it to `target`. On any failure
 * the temporary file is removed and `target` is left as it was.
 */
export async function writeOutputFile<T>(target: string, write: (tempPath: string) => Promise<T>): Promise<T> {
  // A device or a pipe (restoring a disk image onto /dev/sdX) is written in place: it cannot be replaced.
  const existing = await stat(target).catch(() => undefined);
  if (existing && !existing.isFile()) return write(target);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.partial`);
  try {
    const result = await write(temp);
    await rename(temp, target).catch((err: unknown) => {
      throw outputWriteError(target, err);
    });
    return result;
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
