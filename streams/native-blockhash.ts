// The optional native block hasher (native/, package permafrost-blockhash): SHA-256 of 16 blocks
// of 4 KiB at once in AVX-512 lanes, ~2-3x node:crypto's one-call-per-block rate here. It is an
// optional dependency: when it did not build, or the CPU has no AVX-512, or
// PERMAFROST_NATIVE_HASH=0, the digests come from node:crypto (same bytes, only slower).
import { createRequire } from 'node:module';

/** For each whole 4096-byte block of `data`: 32 zero bytes when all-zero, else its SHA-256, into `out`; returns the zero count. */
export type NativeDigestBlocks = (data: Uint8Array, out: Uint8Array) => number;

interface Binding {
  available: boolean;
  digestBlocks: NativeDigestBlocks;
}

function load(): NativeDigestBlocks | undefined {
  if (process.env.PERMAFROST_NATIVE_HASH === '0') return undefined;
  try {
    const binding = createRequire(import.meta.url)('permafrost-blockhash') as Binding;
    return binding.available ? binding.digestBlocks : undefined;
  } catch {
    return undefined;
  }
}

export const nativeDigestBlocks: NativeDigestBlocks | undefined = load();
