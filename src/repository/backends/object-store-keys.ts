// Key handling shared by the remote object-store backends: a repository lives under a prefix of a
// container/bucket, and repository keys ('data/ab/abcd…') are mapped to object names below it.
import { PermafrostError, ExitCode } from '../../errors.js';

/** Normalises a URL path into an object-name prefix: no leading slash, a trailing slash unless empty. */
export function normalisePrefix(pathname: string): string {
  const trimmed = decodeURIComponent(pathname).replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/** Rejects keys that could escape the prefix or that object stores treat specially. */
export function checkKey(key: string): void {
  if (key === '' || key.startsWith('/') || key.split('/').some((s) => s === '..' || s === '.') || key.includes('\\')) {
    throw new PermafrostError(`invalid object key "${key}"`, ExitCode.internal);
  }
}

/** RFC 3986 encoding of each '/'-separated segment (what SigV4 and Swift both expect). */
export function encodeObjectPath(name: string): string {
  return name
    .split('/')
    .map((seg) => encodeURIComponent(seg).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/** A boolean option from a URL query or setting: true/1/yes/on and false/0/no/off. */
export function parseBool(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^(true|1|yes|on)$/i.test(value)) return true;
  if (/^(false|0|no|off)$/i.test(value)) return false;
  throw new PermafrostError(`option ${name}=${value} is not a boolean (use true or false)`, ExitCode.config);
}

/** A positive integer option (page sizes, retry counts). */
export function parsePositiveInt(name: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new PermafrostError(`option ${name}=${value} must be an integer between 1 and ${max}`, ExitCode.config);
  }
  return n;
}
