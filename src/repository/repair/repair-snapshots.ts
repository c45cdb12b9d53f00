// `repo repair snapshots`: makes every snapshot restorable again. A snapshot file that cannot be
// read (bad JSON, damaged sealed part) is moved to lost/snapshots/; a damaged wrapped data key is
// replaced by an intact copy from a pack index; a stream or document whose map or chunks are gone
// is removed from its snapshot and recorded in the snapshot's manifest (`lost`), the original file
// kept under lost/snapshots/. A snapshot left with nothing is moved aside as a whole.
import { ExitCode, PermafrostError } from '../../errors.js';
import type { BlobIndex } from '../blob-index.js';
import type { ChunkReader } from '../chunk-reader.js';
import { snapshotKey } from '../format.js';
import { DamagedKeyError, unwrapDek, type WrappedDek } from '../keys.js';
import { RepoLock } from '../locks.js';
import type { PermafrostRepository } from '../repository.js';
import { buildSnapshotFile, openPrivate, type LostStream, type PublicStream, type SnapshotFile } from '../snapshot-file.js';
import { moveAside } from './lost-files.js';

export interface SnapshotRepairReport {
  snapshots: number;
  /** Snapshot files moved to lost/snapshots/ (unreadable, or with nothing left). */
  removed: { snapshot: string; why: string }[];
  /** Snapshots rewritten: a data key replaced, streams removed. */
  rewritten: { snapshot: string; keyReplaced: boolean; lost: LostStream[] }[];
}

/** Why a stream cannot be restored (a map or a chunk of its chain is gone or unreadable), or undefined. */
async function streamDamage(index: BlobIndex, reader: ChunkReader, stream: PublicStream): Promise<string | undefined> {
  for (const mapId of stream.maps) {
    if (!index.get(mapId)) return `its map ${mapId.slice(0, 16)}… is missing`;
    let entries;
    try {
      entries = (await reader.mapSegment(mapId)).entries;
    } catch (err) {
      if (err instanceof PermafrostError && err.exitCode === ExitCode.corrupted) return `its map ${mapId.slice(0, 16)}… is damaged`;
      throw err;
    }
    for (const e of entries) {
      const missing = e.id ? index.missingInChain(e.id.toString('hex')) : undefined;
      if (missing) return `chunk ${missing.slice(0, 16)}… is missing`;
    }
  }
  return undefined;
}

/** The snapshot's data key, from its own wrap or else from an intact copy in a pack index. */
function openDek(repo: PermafrostRepository, index: BlobIndex, file: SnapshotFile): { dek: Buffer; wraps: WrappedDek; replaced: boolean } | undefined {
  const copies: [WrappedDek | undefined, boolean][] = [
    [file.deks[file.dek], false],
    [index.deks.get(file.dek), true],
  ];
  for (const [wraps, replaced] of copies) {
    if (!wraps) continue;
    try {
      const dek = unwrapDek(wraps, repo.secrets.readerPrivateKey!);
      if (dek) return { dek, wraps, replaced };
    } catch (err) {
      if (!(err instanceof DamagedKeyError)) throw err;
    }
  }
  return undefined;
}

async function repairOne(repo: PermafrostRepository, index: BlobIndex, reader: ChunkReader, id: string, report: SnapshotRepairReport): Promise<void> {
  const remove = async (why: string): Promise<void> => {
    await moveAside(repo.backend, snapshotKey(id));
    report.removed.push({ snapshot: id, why });
  };
  let loaded;
  try {
    loaded = await repo.loadSnapshot(id);
  } catch (err) {
    if (!(err instanceof PermafrostError) || err.exitCode !== ExitCode.corrupted) throw err;
    return remove(err.message);
  }
  const { file, pub } = loaded;
  const key = openDek(repo, index, file);
  if (!key) return remove('its data key is damaged and no intact copy exists');
  let priv;
  try {
    priv = openPrivate(key.dek, file);
  } catch (err) {
    return remove((err as Error).message);
  }
  const lost: LostStream[] = [];
  const kept: PublicStream[] = [];
  const removed = new Date().toISOString();
  for (const stream of pub.streams) {
    const why = await streamDamage(index, reader, stream);
    if (!why) {
      kept.push(stream);
      continue;
    }
    const named = priv.streams.find((x) => x.mac === stream.mac);
    const doc = priv.documents.find((d) => d.mac === stream.mac);
    lost.push({ name: named?.name ?? doc?.name ?? stream.mac.slice(0, 16), kind: doc ? 'document' : 'stream', size: stream.size, reason: why, removed });
  }
  if (kept.length === 0 && pub.streams.length > 0) return remove(`all of its data is lost (${lost.map((l) => `${l.name}: ${l.reason}`).join('; ')})`);
  if (lost.length === 0 && !key.replaced) return;
  const macs = new Set(kept.map((x) => x.mac));
  const newPriv = {
    ...priv,
    streams: priv.streams.filter((x) => macs.has(x.mac)),
    documents: priv.documents.filter((d) => macs.has(d.mac)),
    lost: [...(priv.lost ?? []), ...lost],
  };
  const rebuilt = buildSnapshotFile(id, repo.snapshotPublicKey, { ...pub, streams: kept }, file.dek, key.dek, key.wraps, newPriv);
  // The original stays readable under lost/ (a copy: the rewrite replaces the file in one put).
  await repo.backend.put(`lost/${snapshotKey(id)}`, await repo.backend.get(snapshotKey(id)));
  await repo.backend.put(snapshotKey(id), Buffer.from(JSON.stringify(rebuilt, null, 2)));
  report.rewritten.push({ snapshot: id, keyReplaced: key.replaced, lost });
}

export async function repairSnapshots(repo: PermafrostRepository): Promise<SnapshotRepairReport> {
  repo.requireRead('repo repair snapshots');
  const lock = await RepoLock.acquire(repo.backend, true, 'repo repair snapshots');
  try {
    repo.resetIndex();
    const index = await repo.index();
    if (index.damaged.length > 0) {
      throw new PermafrostError(`${index.damaged.length} pack index file(s) are damaged: run \`permafrost repo repair index\` first, or their data would count as lost`, ExitCode.corrupted);
    }
    const reader = await repo.reader();
    const ids = await repo.snapshotIds();
    const report: SnapshotRepairReport = { snapshots: ids.length, removed: [], rewritten: [] };
    for (const id of ids) await repairOne(repo, index, reader, id, report);
    repo.unreadableSnapshots.clear();
    return report;
  } finally {
    await lock.release();
  }
}
