// `prune`: garbage collection under an exclusive lock. Marks every blob a snapshot needs (stream
// maps, their chunks, each delta's base chain), then deletes packs nobody needs, repacks packs
// whose unused share is at least `repackThreshold` (the still-used blobs are copied as they are —
// still encrypted, no key needed beyond the index key), and removes debris of interrupted runs
// (packs without index, indexes without pack). New packs are written before old ones are deleted,
// so an interruption at any point loses nothing that a snapshot references.
import { INDEX_PREFIX, DATA_PREFIX, packKey, indexKey } from './format.js';
import { openPackIndex, type BlobEntry, type PackIndexFile } from './blob-index.js';
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
  bytesBefore: number;
  bytesAfter: number;
  bytesFreed: number;
}

export async function prune(repo: PermafrostRepository, opts: PruneOptions = {}): Promise<PruneReport> {
  const threshold = opts.repackThreshold ?? 0.1;
  const backend = repo.backend;
  const lock = await RepoLock.acquire(backend, true, opts.dryRun ? 'prune --dry-run' : 'prune');
  try {
    repo.resetIndex();
    const index = await repo.index();
    const reader = await repo.reader();

    // 1. Mark.
    const used = new Set<string>();
    const snapshots = await repo.loadAllSnapshots();
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
      bytesBefore: [...packSizes.values()].reduce((a, b) => a + b, 0),
      bytesAfter: 0,
      bytesFreed: 0,
    };
    const keptOnce = new Set<string>();
    const deks: Record<string, WrappedDek> = Object.fromEntries(index.deks);
    const packer = new PackWriter(backend, index, deks, repo.config.packSize);
    const toDelete: string[] = [];
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
        if (!opts.dryRun) {
          const body = await backend.get(packKey(packId));
          for (const b of keep) {
            const { offset, length, ...meta } = b;
            await packer.add({ ...meta, data: Buffer.from(body.subarray(offset, offset + length)) });
          }
        }
      }
    }
    const indexed = new Set(indexFiles);
    for (const packId of packSizes.keys()) {
      if (!indexed.has(packId)) {
        report.orphanPacksDeleted++;
        toDelete.push(packKey(packId));
      }
    }
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
      let after = report.bytesBefore;
      for (const k of toDelete) if (k.startsWith(DATA_PREFIX)) after -= packSizes.get(k.slice(k.lastIndexOf('/') + 1)) ?? 0;
      report.bytesAfter = after;
    }
    report.bytesFreed = report.bytesBefore - report.bytesAfter;
    return report;
  } finally {
    await lock.release();
  }
}
