// Byte ranges of packs for readers. A pack the index lists but the store lacks is damage to the
// repository (exit 9, `repo check` names it), not a "not found" of something the user asked for.
import { ExitCode, PermafrostError } from '../errors.js';
import { packKey } from './format.js';
import type { Backend } from './types.js';

export class MissingPackError extends PermafrostError {
  constructor(readonly pack: string, location: string, cause: unknown) {
    super(
      `pack ${pack.slice(0, 16)}… is listed in the index but missing from ${location}: run \`permafrost repo check\`, then \`permafrost repo repair index\` and \`permafrost repo repair snapshots\` (docs/repair.md)`,
      ExitCode.corrupted,
      { cause },
    );
  }
}

function missing(err: unknown, backend: Backend, pack: string): never {
  if (err instanceof PermafrostError && err.exitCode === ExitCode.notFound) throw new MissingPackError(pack, backend.location, err);
  throw err;
}

export function readPackRange(backend: Backend, pack: string, offset: number, length: number): Promise<Buffer> {
  return backend.getRange(packKey(pack), offset, length).catch((err: unknown) => missing(err, backend, pack));
}

export function readPackRangeInto(backend: Backend, pack: string, offset: number, into: Buffer): Promise<number> {
  return backend.getRangeInto!(packKey(pack), offset, into).catch((err: unknown) => missing(err, backend, pack));
}

export function readPack(backend: Backend, pack: string): Promise<Buffer> {
  return backend.get(packKey(pack)).catch((err: unknown) => missing(err, backend, pack));
}
