// `prune`: garbage collection under an exclusive lock. Marks every blob a snapshot needs (stream
// maps, their chunks, each delta's base chain), then deletes packs nobody needs, repacks packs
// whose unused share is at least `repackThreshold` (the still-used blobs are copied as they are —
// still encrypted, no key needed beyond the index key), and removes debris of interrupted runs
// (packs without index, indexes without pack). New packs are written before old ones are deleted,
// so an interruption at any point loses nothing that a snapshot references.
import { INDEX_PREFIX, DATA_PREFIX, packKey, indexKey } from './format.js';
import { openPackIndex, writePackIndex, type BlobEntry, type BlobIndex, type PackIndexFile } from './blob-index.js';
import { ExitCode, PermafrostError } from '../errors.js';
import { readTrailer } from './pack-trailer.js';
import { RepoLock } from './locks.js';
import { PackWriter } from './pack-writer.js';
import type { PermafrostRepository } from './repository.js';
import type { WrappedDek } from './keys.js';

export interface PruneOptions {
  /** Repack a pack when at least this fraction of its bytes is unused (0…1). Default 0.1. */
  repackThreshold?: number;
  dryRun?: boolean;
  onProgress?: (phase: string, done: number, total: number) => void;
}

export interface PruneReport {
  dryRun: boolean;
  snapshots: number;
  blobsUsed: number;
  blobsUnused: number;
  packsDeleted: number;
  packsRepacked: number;
  packsWritten: number;
  orphanPacksDeleted: number;
  orphanIndexesDeleted: number;
  /** Packs without index file whose blobs a snapshot uses: their index was rebuilt from the trailer. */
  packsReindexed: number;
  bytesBefore: number;
  bytesAfter: number;
  bytesFreed: number;
}

/** Typical size of a pack trailer (a sealed list of a few dozen blobs): for the dry run's estimate. */
const TRAILER_ESTIMATE_BYTES = 1024;

function refuseOnHiddenReferences(repo: PermafrostRepository, index: BlobIndex): void {
  const hidden = [
    ...[...repo.unreadableSnapshots.keys()].map((id) => `snapshots/${id}`),
    ...index.damaged.map((d) => `index/${d.pack}`),
  ];
  if (hidden.length === 0) return;
  throw new PermafrostError(
    `prune cannot tell which data is still needed: ${hidden.length} damaged file(s) (${hidden.slice(0, 3).join(', ')}${hidden.length > 3 ? ', …' : ''}); ` +
      'run `permafrost repo repair index` and `permafrost repo repair snapshots` first (docs/repair.md); nothing was deleted',
    ExitCode.corrupted,
  );
}

/**
 * Packs without index file: debris of an interrupted run — unless a snapshot uses one of their
 * blobs (the index file was lost): then the trailer gives the index back and the pack is kept.
 * Returns the keys to delete.
 */
async function sweepUnindexedPacks(
  repo: PermafrostRepository,
  index: BlobIndex,
  packSizes: Map<string, number>,
  indexed: Set<string>,
  used: Set<string>,
  report: PruneReport,
  dryRun: boolean,
): Promise<string[]> {
  const remove: string[] = [];
  for (const [packId, size] of packSizes) {
    if (indexed.has(packId)) continue;
    const trailer = await readTrailer(repo.backend, index.key, packId, size);
    if (trailer.kind === 'ok' && trailer.file.blobs.some((b) => used.has(b.id))) {
      report.packsReindexed++;
      if (!dryRun) await writePackIndex(repo.backend, index.key, trailer.file);
      continue;
    }
    report.orphanPacksDeleted++;
    remove.push(packKey(packId));
  }
  return remove;
}

export async function prune(repo: PermafrostRepository, opts: PruneOptions = {}): Promise<PruneReport> {
  const threshold = opts.repackThreshold ?? 0.1;
  const backend = repo.backend;
  const lock = await RepoLock.acquire(backend, true, opts.dryRun ? 'prune --dry-run' : 'prune');
  try {
    repo.resetIndex();
    const index = await repo.index();
    const reader = await repo.reader();

    // 1. Mark. Damage that hides references stops prune: it would delete what they need.
    const used = new Set<string>();
    const snapshots = await repo.loadAllSnapshots();
    refuseOnHiddenReferences(repo, index);
    const markChain = (id: string): void => {
      for (let cur: string | undefined = id; cur && !used.has(cur); ) {
        used.add(cur);
        const e = index.get(cur);
        cur = e?.type === 'delta' ? e.base : undefined;
      }
    };
    let done = 0;
    for (const s of snapshots) {
      for (const stream of s.pub.streams) {
        for (const mapId of stream.maps) {
          used.add(mapId);
          for (const e of (await reader.mapSegment(mapId)).entries) if (e.id) markChain(e.id.toString('hex'));
        }
      }
      opts.onProgress?.('mark', ++done, snapshots.length);
    }

    // 2. Sweep, pack by pack (the pack index files give every copy, also duplicates).
    const packSizes = new Map<string, number>();
    for await (const { key, size } of backend.list(DATA_PREFIX)) packSizes.set(key.slice(key.lastIndexOf('/') + 1), size);
    const indexFiles: string[] = [];
    for await (const { key } of backend.list(INDEX_PREFIX)) indexFiles.push(key.slice(INDEX_PREFIX.length));
    const report: PruneReport = {
      dryRun: opts.dryRun ?? false,
      snapshots: snapshots.length,
      blobsUsed: 0,
      blobsUnused: 0,
      packsDeleted: 0,
      packsRepacked: 0,
      packsWritten: 0,
      orphanPacksDeleted: 0,
      orphanIndexesDeleted: 0,
      packsReindexed: 0,
      bytesBefore: [...packSizes.values()].reduce((a, b) => a + b, 0),
      bytesAfter: 0,
      bytesFreed: 0,
    };
    const keptOnce = new Set<string>();
    const deks: Record<string, WrappedDek> = Object.fromEntries(index.deks);
    const packer = new PackWriter(backend, index, deks, repo.config.packSize);
    const toDelete: string[] = [];
    /** Bytes of the blobs copied into new packs (what the dry run adds back to its estimate). */
    let repackedBytes = 0;
    done = 0;
    for (const packId of indexFiles) {
      opts.onProgress?.('sweep', ++done, indexFiles.length);
      const file: PackIndexFile = openPackIndex(index.key, packId, await backend.get(indexKey(packId)), backend.location);
      if (!packSizes.has(packId)) {
        report.orphanIndexesDeleted++;
        toDelete.push(indexKey(packId));
        continue;
      }
      const keep: BlobEntry[] = [];
      let unusedBytes = 0;
      for (const b of file.blobs) {
        if (used.has(b.id) && !keptOnce.has(b.id)) {
          keep.push(b);
          keptOnce.add(b.id);
        } else unusedBytes += b.length;
      }
      report.blobsUsed += keep.length;
      report.blobsUnused += file.blobs.length - keep.length;
      const size = packSizes.get(packId)!;
      if (keep.length === 0) {
        report.packsDeleted++;
        toDelete.push(indexKey(packId), packKey(packId));
      } else if (unusedBytes > 0 && unusedBytes >= size * threshold) {
        report.packsRepacked++;
        toDelete.push(indexKey(packId), packKey(packId));
        repackedBytes += keep.reduce((n, b) => n + b.length, 0);
        if (!opts.dryRun) {
          const body = await backend.get(packKey(packId));
          for (const b of keep) {
            const { offset, length, ...meta } = b;
            await packer.add({ ...meta, data: Buffer.from(body.subarray(offset, offset + length)) });
          }
        }
      }
    }
    toDelete.push(...(await sweepUnindexedPacks(repo, index, packSizes, new Set(indexFiles), used, report, opts.dryRun ?? false)));
    if (!opts.dryRun) {
      await packer.flush();
      report.packsWritten = packer.packsWritten;
      // Only now that every kept blob is stored again: indexes first, then packs.
      const order = [...toDelete.filter((k) => k.startsWith(INDEX_PREFIX)), ...toDelete.filter((k) => k.startsWith(DATA_PREFIX))];
      for (const key of order) await backend.delete(key);
      repo.resetIndex();
      let after = 0;
      for await (const { size } of backend.list(DATA_PREFIX)) after += size;
      report.bytesAfter = after;
    } else {
      // The repacked blobs are written again, in new packs of about packSize with a trailer each.
      let after = report.bytesBefore + repackedBytes + Math.ceil(repackedBytes / repo.config.packSize) * TRAILER_ESTIMATE_BYTES;
      for (const k of toDelete) if (k.startsWith(DATA_PREFIX)) after -= packSizes.get(k.slice(k.lastIndexOf('/') + 1)) ?? 0;
      report.bytesAfter = after;
    }
    report.bytesFreed = report.bytesBefore - report.bytesAfter;
    return report;
  } finally {
    await lock.release();
  }
}
