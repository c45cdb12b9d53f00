// Format constants shared by the repository modules (docs/repository-format.md, "Versions").
import { ExitCode, PermafrostError } from '../errors.js';

export const FORMAT_NAME = 'permafrost-repository';
/** Version written into new files. Version 2 added the pack trailer and key slot checksums. */
export const FORMAT_VERSION = 2;
/** Oldest version still read (and written to: new files in an old repository carry FORMAT_VERSION). */
export const OLDEST_READ_VERSION = 1;

export const CONFIG_KEY = 'config';
export const KEYS_PREFIX = 'keys/';
export const RECIPIENTS_KEY = 'keys/recipients';
export const DATA_PREFIX = 'data/';
export const INDEX_PREFIX = 'index/';
export const SNAPSHOTS_PREFIX = 'snapshots/';
export const LOCKS_PREFIX = 'locks/';
/** Where repair keeps what it removed from use (snapshot files it could not keep, a record of each repair). */
export const LOST_PREFIX = 'lost/';

export const packKey = (packId: string): string => `${DATA_PREFIX}${packId.slice(0, 2)}/${packId}`;
export const indexKey = (packId: string): string => `${INDEX_PREFIX}${packId}`;
export const snapshotKey = (id: string): string => `${SNAPSHOTS_PREFIX}${id}`;

/** Refuses files written by a newer (or unknown) format instead of misreading them. */
export function requireVersion(what: string, version: unknown, location: string): void {
  if (typeof version === 'number' && Number.isInteger(version) && version >= OLDEST_READ_VERSION && version <= FORMAT_VERSION) return;
  if (typeof version === 'number' && version > FORMAT_VERSION) {
    throw new PermafrostError(
      `${what} in ${location} uses repository format version ${version}, but this permafrost only understands ` +
        `versions ${OLDEST_READ_VERSION}…${FORMAT_VERSION}: upgrade permafrost to use this repository (nothing was changed)`,
      ExitCode.repository,
    );
  }
  throw new PermafrostError(`${what} in ${location} has an unknown format version ${JSON.stringify(version)}: it is not a permafrost repository of versions ${OLDEST_READ_VERSION}…${FORMAT_VERSION}`, ExitCode.repository);
}

export function randomId(bytes = 32): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
}
