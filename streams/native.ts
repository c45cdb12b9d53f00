// permafrost's optional native helpers (native/, package permafrost-native, built by node-gyp at
// npm install):
// - digestBlocks: the SHA-256 of every 4 KiB block of a chunk in one call, much faster than
//   node:crypto's one call per block (keyed-hash.ts). Three paths, the fastest this CPU runs is
//   chosen at load: "avx512" (16 blocks at once in AVX-512 lanes), "shani" (x86 SHA extensions),
//   "openssl" (OpenSSL's SHA-256, any CPU). PERMAFROST_DIGEST_PATH=avx512|shani|openssl|node forces
//   one (tests, benchmarks); "node" is node:crypto per block, as without the addon.
// - dataExtent: lseek(SEEK_DATA/SEEK_HOLE), so a backup skips the holes of a sparse file
//   (file-holes.ts).
// Each is undefined when the addon did not build; PERMAFROST_NATIVE=0 turns both off. The callers
// then do the same work in JavaScript: same bytes, only slower.
import { createRequire } from 'node:module';

/** For each whole 4096-byte block of `data`: 32 zero bytes when all-zero, else its SHA-256, into `out`; returns the zero count. */
export type NativeDigestBlocks = (data: Uint8Array, out: Uint8Array) => number;
/** [start, end) of the first data extent of `fd` at or after `offset`, or null when only a hole or the end follows. */
export type NativeDataExtent = (fd: number, offset: number) => [number, number] | null;

/** How block digests are computed: a native path, or node:crypto per block ("node"). */
export const DIGEST_PATHS = ['avx512', 'shani', 'openssl', 'node'] as const;
export type DigestPath = (typeof DIGEST_PATHS)[number];

interface Binding {
  /** Every native path, by the index digestBlocks takes. */
  digestPathNames: string[];
  /** The native paths this CPU runs, fastest first. */
  digestPaths: string[];
  digestBlocks: (data: Uint8Array, out: Uint8Array, path?: number) => number;
  dataExtent: NativeDataExtent;
}

function load(): Binding | undefined {
  if (process.env.PERMAFROST_NATIVE === '0') return undefined;
  try {
    return createRequire(import.meta.url)('permafrost-native') as Binding;
  } catch {
    return undefined;
  }
}

const binding = load();

/** The digest paths this process can run, fastest first ("node" always, last). */
export function availableDigestPaths(): DigestPath[] {
  return [...((binding?.digestPaths ?? []) as DigestPath[]), 'node'];
}

/** The block hasher of one path; undefined for "node" (keyed-hash.ts then uses node:crypto). */
export function digestBlocksFor(path: DigestPath): NativeDigestBlocks | undefined {
  if (path === 'node') return undefined;
  if (!binding || !availableDigestPaths().includes(path)) {
    throw new Error(`block-digest path "${path}" does not run here (available: ${availableDigestPaths().join(', ')})`);
  }
  const index = binding.digestPathNames.indexOf(path);
  return (data, out) => binding.digestBlocks(data, out, index);
}

/**
 * The path named by PERMAFROST_DIGEST_PATH (`forced`), else the fastest of `available`; a string
 * `problem` when the forced path is unknown or does not run here.
 */
export function chooseDigestPath(forced: string | undefined, available: DigestPath[]): { path: DigestPath } | { problem: string } {
  if (!forced) return { path: available[0] };
  if (!(DIGEST_PATHS as readonly string[]).includes(forced)) {
    return { problem: `PERMAFROST_DIGEST_PATH="${forced}" is not a block-digest path: use one of ${DIGEST_PATHS.join(', ')}, or unset it` };
  }
  if (!available.includes(forced as DigestPath)) {
    return { problem: `PERMAFROST_DIGEST_PATH=${forced} does not run on this CPU or build (available here: ${available.join(', ')}): unset it to use the fastest` };
  }
  return { path: forced as DigestPath };
}

function activePathOrExit(): DigestPath {
  const choice = chooseDigestPath(process.env.PERMAFROST_DIGEST_PATH, availableDigestPaths());
  if ('path' in choice) return choice.path;
  // A benchmark or test must not silently measure another path than the one it asked for. This
  // module is the bottom layer (no error classes of src/ here): exit code 4 is "bad configuration".
  process.stderr.write(`permafrost: ${choice.problem}\n`);
  process.exit(4);
}

const activePath = activePathOrExit();

/** The block-digest path this process uses (shown by `permafrost version` and the benchmark). */
export function activeDigestPath(): DigestPath {
  return activePath;
}

export const nativeDigestBlocks: NativeDigestBlocks | undefined = digestBlocksFor(activePath);
export const nativeDataExtent: NativeDataExtent | undefined = binding?.dataExtent;
