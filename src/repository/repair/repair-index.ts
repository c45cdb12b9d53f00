// `repo repair index`: rebuilds the pack index files from the packs' trailers (format version 2).
// Index files that do not open are replaced; index files of packs that are gone are moved aside
// (their blobs are lost: `repo repair snapshots` then drops what needed them); packs with neither
// an index file nor a readable trailer are reported (a version-1 pack, or a damaged one).
import { INDEX_PREFIX, DATA_PREFIX, indexKey } from '../format.js';
import { indexKeyFrom, openPackIndex, writePackIndex } from '../blob-index.js';
import { readTrailer } from '../pack-trailer.js';
import type { PermafrostRepository } from '../repository.js';
import { RepoLock } from '../locks.js';
import { moveAside } from './lost-files.js';

export interface IndexRepairReport {
  packs: number;
  /** Index files that were intact. */
  intact: number;
  /** Packs whose index file was missing or damaged and was rebuilt from the trailer. */
  rebuilt: string[];
  /** Index files of packs that are gone (moved to lost/index/). */
  orphanIndexes: string[];
  /** Packs without a usable index file or trailer: their blobs cannot be located. */
  unrecoverable: { pack: string; why: string }[];
}

export async function repairIndex(repo: PermafrostRepository): Promise<IndexRepairReport> {
  const backend = repo.backend;
  const lock = await RepoLock.acquire(backend, true, 'repo repair index');
  try {
    const key = indexKeyFrom(repo.secrets.idKey);
    const packSizes = new Map<string, number>();
    for await (const { key: k, size } of backend.list(DATA_PREFIX)) packSizes.set(k.slice(k.lastIndexOf('/') + 1), size);
    const report: IndexRepairReport = { packs: packSizes.size, intact: 0, rebuilt: [], orphanIndexes: [], unrecoverable: [] };
    const good = new Set<string>();
    const damaged = new Set<string>();
    for await (const { key: k } of backend.list(INDEX_PREFIX)) {
      const pack = k.slice(INDEX_PREFIX.length);
      if (!packSizes.has(pack)) {
        await moveAside(backend, k);
        report.orphanIndexes.push(pack);
        continue;
      }
      try {
        openPackIndex(key, pack, await backend.get(k), backend.location);
        good.add(pack);
      } catch {
        damaged.add(pack);
      }
    }
    report.intact = good.size;
    for (const [pack, size] of packSizes) {
      if (good.has(pack)) continue;
      const trailer = await readTrailer(backend, key, pack, size);
      if (trailer.kind === 'ok') {
        await writePackIndex(backend, key, trailer.file);
        report.rebuilt.push(pack);
        continue;
      }
      if (damaged.has(pack)) await moveAside(backend, indexKey(pack));
      const why = trailer.kind === 'none' ? 'no trailer (a version-1 pack, or cut short)' : trailer.reason;
      report.unrecoverable.push({ pack, why: `${damaged.has(pack) ? 'its index file is damaged' : 'it has no index file'} and ${why}` });
    }
    repo.resetIndex();
    return report;
  } finally {
    await lock.release();
  }
}
