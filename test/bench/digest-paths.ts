// CPU seconds per GB of the block digests of fixed-size chunks (keyed-hash.ts blockDigests) on
// every digest path this machine runs: `node --import tsx test/bench/digest-paths.ts [MiB]`.
// Each path runs in its own process (PERMAFROST_DIGEST_PATH) over the same random 1 MiB chunks;
// the figure is that process's user + system CPU time for the hashing alone, which a busy machine
// changes much less than wall time.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { blockDigests } from '../../streams/keyed-hash.js';
import { activeDigestPath, availableDigestPaths } from '../../streams/native.js';

const MiB = 2 ** 20;

/** Hashes `mib` MiB (1 MiB chunks, hashed `passes` times) and returns CPU seconds per GB. */
function measureHere(mib: number, passes = 4): number {
  const chunks = Array.from({ length: Math.min(mib, 64) }, () => randomBytes(MiB));
  blockDigests(chunks[0]); // load and warm up
  const rounds = Math.ceil(mib / chunks.length) * passes;
  const before = process.cpuUsage();
  for (let r = 0; r < rounds; r++) for (const c of chunks) blockDigests(c);
  const used = process.cpuUsage(before);
  const bytes = rounds * chunks.length * MiB;
  return (used.user + used.system) / 1e6 / (bytes / 1e9);
}

const mib = Number(process.argv[2] ?? 256);
if (process.env.DIGEST_PATHS_CHILD) {
  console.log(JSON.stringify({ path: activeDigestPath(), cpuSecondsPerGB: measureHere(mib) }));
} else {
  for (const path of availableDigestPaths()) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), String(mib)], {
      env: { ...process.env, PERMAFROST_DIGEST_PATH: path, DIGEST_PATHS_CHILD: '1' },
      encoding: 'utf8',
    });
    const r = JSON.parse(out) as { path: string; cpuSecondsPerGB: number };
    console.log(`${r.path.padEnd(8)} ${r.cpuSecondsPerGB.toFixed(3)} CPU s/GB`);
  }
}
