// permafrost's optional native helpers (native/, package permafrost-native, built by node-gyp at
// npm install):
// - digestBlocks: SHA-256 of 16 blocks of 4 KiB at once in AVX-512 lanes, much faster than
//   node:crypto's one call per block (keyed-hash.ts);
// - dataExtent: lseek(SEEK_DATA/SEEK_HOLE), so a backup skips the holes of a sparse file
//   (file-holes.ts).
// Each is undefined when the addon did not build (or, for digestBlocks, the CPU has no AVX-512);
// PERMAFROST_NATIVE=0 turns both off. The callers then do the same work in JavaScript: same bytes,
// only slower.
import { createRequire } from 'node:module';

/** For each whole 4096-byte block of `data`: 32 zero bytes when all-zero, else its SHA-256, into `out`; returns the zero count. */
export type NativeDigestBlocks = (data: Uint8Array, out: Uint8Array) => number;
/** [start, end) of the first data extent of `fd` at or after `offset`, or null when only a hole or the end follows. */
export type NativeDataExtent = (fd: number, offset: number) => [number, number] | null;

interface Binding {
  available: boolean;
  digestBlocks: NativeDigestBlocks;
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
export const nativeDigestBlocks: NativeDigestBlocks | undefined = binding?.available ? binding.digestBlocks : undefined;
export const nativeDataExtent: NativeDataExtent | undefined = binding?.dataExtent;
