// Format v1 constants shared by the repository modules (docs/repository-format.md).
import { ExitCode, PermafrostError } from '../errors.js';

export const FORMAT_NAME = 'permafrost-repository';
export const FORMAT_VERSION = 1;

export const CONFIG_KEY = 'config';
export const KEYS_PREFIX = 'keys/';
export const RECIPIENTS_KEY = 'keys/recipients';
export const DATA_PREFIX = 'data/';
export const INDEX_PREFIX = 'index/';
export const SNAPSHOTS_PREFIX = 'snapshots/';
export const LOCKS_PREFIX = 'locks/';

export const packKey = (packId: string): string => `${DATA_PREFIX}${packId.slice(0, 2)}/${packId}`;
export const indexKey = (packId: string): string => `${INDEX_PREFIX}${packId}`;
export const snapshotKey = (id: string): string => `${SNAPSHOTS_PREFIX}${id}`;

/** Refuses files written by a newer (or unknown) format instead of misreading them. */
export function requireVersion(what: string, version: unknown, location: string): void {
  if (version === FORMAT_VERSION) return;
  if (typeof version === 'number' && version > FORMAT_VERSION) {
    throw new PermafrostError(
      `${what} in ${location} uses repository format version ${version}, but this permafrost only understands ` +
        `version ${FORMAT_VERSION}: upgrade permafrost to use this repository (nothing was changed)`,
      ExitCode.repository,
    );
  }
  throw new PermafrostError(`${what} in ${location} has an unknown format version ${JSON.stringify(version)}: it is not a permafrost v${FORMAT_VERSION} repository`, ExitCode.repository);
}

export function randomId(bytes = 32): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
}
