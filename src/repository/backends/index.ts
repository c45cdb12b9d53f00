// Opens a storage backend from a repository URL.
//
// Registry convention (so that a new backend is a new file, with no edit here):
//   - `file:///path`, a plain path (absolute or relative) → the local directory backend (./local.ts).
//   - any other `SCHEME://…` → the module `./SCHEME.js` next to this file (source `SCHEME.ts`,
//     e.g. `swift.ts`, `s3.ts`), which must export
//         export const createBackend: BackendFactory = async (url, opts) => { … };
//     `url` is the parsed WHATWG URL (`swift://container/prefix?cloud=NAME` → host = container,
//     pathname = /prefix, searchParams), `opts` the options below. The module may import whatever
//     helpers it needs (other files named `SCHEME*.ts` in this folder).
//   - a scheme without such a module → a PermafrostError (config) listing the known schemes.
// Backend-specific settings that come from the command line (e.g. `--os-cloud`, an S3 endpoint)
// travel in `opts.settings`; credentials come from the environment (`opts.env`, default process.env).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError } from '../../errors.js';
import type { Backend } from '../types.js';
import { LocalBackend } from './local.js';

export interface BackendOptions {
  /** Backend-specific settings from the command line or the caller (`cloud`, `endpoint`, `region`, …). */
  settings?: Record<string, string | undefined>;
  /** Environment to read credentials from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Create the location if it does not exist (repo init). */
  create?: boolean;
}

export type BackendFactory = (url: URL, opts: BackendOptions) => Promise<Backend>;

interface BackendModule {
  createBackend?: BackendFactory;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** True for `file://…` URLs and for anything without a `scheme://` prefix (a plain path). */
function isLocal(url: string): boolean {
  return url.startsWith('file://') || !/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(url);
}

/** Lists the schemes that have a backend module, for error messages. */
export function knownSchemes(): string[] {
  const schemes = new Set<string>(['file']);
  for (const f of readdirSync(here)) {
    const m = /^([a-z][a-z0-9]*)\.(js|ts)$/.exec(f);
    if (m && m[1] !== 'index' && m[1] !== 'local' && !f.endsWith('.d.ts')) schemes.add(m[1]);
  }
  return [...schemes].sort();
}

export async function openBackend(url: string, opts: BackendOptions = {}): Promise<Backend> {
  if (isLocal(url)) {
    const dir = url.startsWith('file://') ? fileURLToPath(url) : path.resolve(url);
    return LocalBackend.open(dir, { create: opts.create ?? false });
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new ConfigError(`repository URL "${url}" is not a valid URL`, { cause: err });
  }
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  if (!/^[a-z][a-z0-9]*$/.test(scheme)) {
    throw new ConfigError(`repository URL scheme "${scheme}" is not supported (known: ${knownSchemes().join(', ')})`);
  }
  const candidates = [path.join(here, `${scheme}.js`), path.join(here, `${scheme}.ts`)];
  const file = candidates.find((f) => existsSync(f));
  if (!file) {
    throw new ConfigError(
      `repository URL scheme "${scheme}://" is not supported (known: ${knownSchemes().join(', ')}); ` +
        'use file:///path, a plain path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX',
    );
  }
  const mod = (await import(pathToFileURL(file).href)) as BackendModule;
  if (typeof mod.createBackend !== 'function') {
    throw new ConfigError(`backend module for "${scheme}://" does not export createBackend()`);
  }
  return mod.createBackend(parsed, opts);
}
