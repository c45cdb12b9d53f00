// `repo repair packs`: reads every pack whole and opens each of its blobs (GCM tag under its key).
// A pack that is cut short, has a damaged blob or a damaged trailer is salvaged: its readable
// blobs are copied, still sealed, into new packs (with trailers), then the pack and its index file
// are removed. Blobs lost this way are then missing: `repo repair snapshots` drops what needed them.
import { openBlob } from '../../../streams/blob-crypto.js';
import { ExitCode, PermafrostError } from '../../errors.js';
import { indexKeyFrom, openPackIndex, type BlobEntry, type PackIndexFile } from '../blob-index.js';
import { DATA_PREFIX, INDEX_PREFIX, indexKey, packKey } from '../format.js';
import { RepoLock } from '../locks.js';
import { readPack } from '../pack-read.js';
import { readTrailer } from '../pack-trailer.js';
import { PackWriter } from '../pack-writer.js';
import type { PermafrostRepository } from '../repository.js';
import type { WrappedDek } from '../keys.js';

export interface PackRepairReport {
  packsRead: number;
  /** Damaged packs replaced by new ones: how many of their blobs were kept and lost. */
  salvaged: { pack: string; why: string; kept: number; lost: number }[];
  /** Packs with neither a readable index file nor trailer (left for prune). */
  unreadable: string[];
  packsWritten: number;
}

/** The pack's own list of blobs: its index file, else its trailer. */
async function packListing(repo: PermafrostRepository, key: Buffer, pack: string, size: number, indexed: boolean): Promise<{ file?: PackIndexFile; trailerBad?: string }> {
  let file: PackIndexFile | undefined;
  if (indexed) {
    try {
      file = openPackIndex(key, pack, await repo.backend.get(indexKey(pack)), repo.backend.location);
    } catch {
      file = undefined;
    }
  }
  const trailer = file === undefined || file.version >= 2 ? await readTrailer(repo.backend, key, pack, size) : undefined;
  if (trailer?.kind === 'ok') return { file: file ?? trailer.file };
  return { file, trailerBad: trailer ? (trailer.kind === 'none' ? 'its trailer is missing' : trailer.reason) : undefined };
}

/** Which blobs of a pack's body open under their key. */
function sortBlobs(repo: PermafrostRepository, file: PackIndexFile, body: Buffer): { good: BlobEntry[]; lost: BlobEntry[] } {
  const good: BlobEntry[] = [];
  const lost: BlobEntry[] = [];
  for (const b of file.blobs) {
    if (b.offset + b.length > body.length) {
      lost.push(b);
      continue;
    }
    try {
      const key = b.key === 'map' ? repo.mapKey : repo.dek(b.key, file.deks[b.key]);
      openBlob(key, Buffer.from(b.id, 'hex'), body.subarray(b.offset, b.offset + b.length));
      good.push(b);
    } catch (err) {
      if (err instanceof PermafrostError && err.exitCode !== ExitCode.corrupted) throw err;
      lost.push(b);
    }
  }
  return { good, lost };
}

export async function repairPacks(repo: PermafrostRepository, onProgress?: (done: number, total: number) => void): Promise<PackRepairReport> {
  repo.requireRead('repo repair packs');
  const backend = repo.backend;
  const lock = await RepoLock.acquire(backend, true, 'repo repair packs');
  try {
    const key = indexKeyFrom(repo.secrets.idKey);
    const index = await repo.index();
    const packSizes = new Map<string, number>();
    for await (const { key: k, size } of backend.list(DATA_PREFIX)) packSizes.set(k.slice(k.lastIndexOf('/') + 1), size);
    const indexed = new Set<string>();
    for await (const { key: k } of backend.list(INDEX_PREFIX)) indexed.add(k.slice(INDEX_PREFIX.length));
    const report: PackRepairReport = { packsRead: 0, salvaged: [], unreadable: [], packsWritten: 0 };
    const deks: Record<string, WrappedDek> = Object.fromEntries(index.deks);
    const packer = new PackWriter(backend, index, deks, repo.config.packSize);
    const remove: string[] = [];
    let done = 0;
    for (const [pack, size] of packSizes) {
      onProgress?.(++done, packSizes.size);
      const { file, trailerBad } = await packListing(repo, key, pack, size, indexed.has(pack));
      if (!file) {
        report.unreadable.push(pack);
        continue;
      }
      for (const [id, wraps] of Object.entries(file.deks)) deks[id] ??= wraps;
      const body = await readPack(backend, pack);
      report.packsRead++;
      const { good, lost } = sortBlobs(repo, file, body);
      const cut = lost.some((b) => b.offset + b.length > body.length);
      const why = [cut ? 'it is cut short' : '', lost.length > 0 ? `${lost.length} blob(s) do not open` : '', trailerBad ?? ''].filter(Boolean).join(', ');
      if (!why) continue;
      for (const b of good) {
        const { offset, length, ...meta } = b;
        await packer.add({ ...meta, data: Buffer.from(body.subarray(offset, offset + length)) });
      }
      report.salvaged.push({ pack, why, kept: good.length, lost: lost.length });
      remove.push(indexKey(pack), packKey(pack));
    }
    await packer.flush();
    report.packsWritten = packer.packsWritten;
    // The kept blobs are stored again: now the damaged packs can go (indexes first).
    for (const k of remove) await backend.delete(k);
    repo.resetIndex();
    return report;
  } finally {
    await lock.release();
  }
}
