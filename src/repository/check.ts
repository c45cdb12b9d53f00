// `repo check`: structure (every pack index opens, every pack it lists exists and is long enough,
// every snapshot's maps and chunks — and each delta's base chain — are in the index) and, with
// readData, every byte: each selected blob is decrypted (GCM tag), rebuilt and its keyed hash
// compared with its ID. Damage is reported with the snapshots and streams it affects.
import crypto from 'node:crypto';
import { blockDigests, fixedChunkId, plainChunkId } from '../../streams/keyed-hash.js';
import { PermafrostError } from '../errors.js';
import type { Located } from './blob-index.js';
import { DATA_PREFIX } from './format.js';
import type { LoadedSnapshot, PermafrostRepository } from './repository.js';
import { checkDataKeys, checkIndexFiles, checkKeyFiles, checkSnapshotFiles, checkTrailers } from './check-files.js';

export interface CheckProblem {
  kind:
    | 'missing-pack'
    | 'short-pack'
    | 'missing-chunk'
    | 'missing-map'
    | 'damaged-chunk'
    | 'snapshot-unreadable'
    | 'damaged-snapshot'
    | 'damaged-index'
    | 'damaged-trailer'
    | 'damaged-key'
    | 'damaged-key-slot'
    | 'damaged-recipients';
  message: string;
  chunk?: string;
  pack?: string;
  /** Snapshots and streams that cannot be restored because of it. */
  affects: { snapshot: string; stream: string }[];
}

export interface CheckReport {
  ok: boolean;
  snapshots: number;
  packs: number;
  blobs: number;
  packsRead: number;
  blobsRead: number;
  bytesRead: number;
  problems: CheckProblem[];
  warnings: string[];
}

export interface CheckOptions {
  /** Percentage of packs whose every blob is decrypted and verified (0 = structure only). */
  readDataPercent?: number;
  onProgress?: (done: number, total: number) => void;
}

/** MAC → name of a snapshot's streams and documents (empty on a write-only host or when unreadable). */
function streamNames(repo: PermafrostRepository, s: LoadedSnapshot, report: CheckReport): Map<string, string> {
  const names = new Map<string, string>();
  if (!repo.canRead) return names;
  try {
    const priv = repo.privatePart(s);
    for (const x of priv.streams) names.set(x.mac, x.name);
    for (const d of priv.documents) names.set(d.mac, `document ${d.name}`);
  } catch (err) {
    // A damaged data key is reported once, by checkDataKeys.
    if (!report.problems.some((p) => p.kind === 'damaged-key' && p.affects.some((a) => a.snapshot === s.file.id))) {
      report.problems.push({ kind: 'snapshot-unreadable', message: (err as Error).message, affects: [{ snapshot: s.file.id, stream: '*' }] });
    }
  }
  return names;
}

export async function checkRepository(repo: PermafrostRepository, opts: CheckOptions = {}): Promise<CheckReport> {
  const report: CheckReport = { ok: true, snapshots: 0, packs: 0, blobs: 0, packsRead: 0, blobsRead: 0, bytesRead: 0, problems: [], warnings: [] };
  const index = await repo.index();
  const backend = repo.backend;
  report.packs = index.packs.size;
  report.blobs = index.size;
  report.problems.push(...(await checkKeyFiles(repo)), ...checkIndexFiles(index));

  // Packs: present and long enough for every blob the index places in them.
  const packSizes = new Map<string, number>();
  for await (const { key, size } of backend.list(DATA_PREFIX)) packSizes.set(key.slice(key.lastIndexOf('/') + 1), size);
  const needed = new Map<string, number>();
  for (const b of index.entries()) needed.set(b.pack, Math.max(needed.get(b.pack) ?? 0, b.offset + b.length));
  const badPacks = new Set<string>();
  for (const [pack, end] of needed) {
    const size = packSizes.get(pack);
    if (size === undefined) {
      badPacks.add(pack);
      report.problems.push({ kind: 'missing-pack', pack, message: `pack ${pack.slice(0, 16)}… is listed in the index but missing`, affects: [] });
    } else if (size < end) {
      badPacks.add(pack);
      report.problems.push({ kind: 'short-pack', pack, message: `pack ${pack.slice(0, 16)}… has ${size} bytes, the index needs ${end}`, affects: [] });
    }
  }
  for (const pack of packSizes.keys()) {
    if (!index.packs.has(pack)) report.warnings.push(`pack ${pack.slice(0, 16)}… has no index file (left by an interrupted run, or its index was lost): \`permafrost repo repair index\` rebuilds it from the pack; \`permafrost prune\` removes it if no snapshot needs it`);
  }

  // Blobs whose content cannot be trusted: in a bad pack, or (read-data) failing verification.
  const bad = new Map<string, CheckProblem>();
  for (const b of index.entries()) {
    if (badPacks.has(b.pack)) bad.set(b.id, report.problems.find((p) => p.pack === b.pack)!);
  }

  if ((opts.readDataPercent ?? 0) > 0) {
    repo.requireRead('check --read-data');
    const reader = await repo.reader();
    const packs = [...index.packs.keys()].filter((p) => !badPacks.has(p));
    const selected = opts.readDataPercent! >= 100 ? packs : packs.filter(() => crypto.randomInt(10000) < opts.readDataPercent! * 100);
    const byPack = new Map<string, Located[]>();
    const selectedSet = new Set(selected);
    for (const b of index.entries()) if (selectedSet.has(b.pack)) (byPack.get(b.pack) ?? byPack.set(b.pack, []).get(b.pack)!).push(b);
    let done = 0;
    for (const pack of selected) {
      for (const b of byPack.get(pack) ?? []) {
        try {
          const content = b.type === 'map' ? await reader.payload(b) : await reader.chunk(b.id);
          const id = b.scheme === 'fixed' ? fixedChunkId(repo.secrets.idKey, content.length, blockDigests(content).digests) : plainChunkId(repo.secrets.idKey, content);
          if (id.toString('hex') !== b.id) throw new Error('content does not match its ID');
          report.bytesRead += b.length;
        } catch (err) {
          const message = err instanceof PermafrostError || err instanceof Error ? err.message : String(err);
          const problem: CheckProblem = { kind: 'damaged-chunk', chunk: b.id, pack: b.pack, message: `chunk ${b.id.slice(0, 16)}… in pack ${b.pack.slice(0, 16)}…: ${message}`, affects: [] };
          report.problems.push(problem);
          bad.set(b.id, problem);
        }
        report.blobsRead++;
      }
      report.packsRead++;
      opts.onProgress?.(++done, selected.length);
    }
    report.problems.push(...(await checkTrailers(repo, index, selected.map((p) => [p, packSizes.get(p)!] as [string, number]))));
  }

  // Snapshots: each file on its own, its data keys, every map and chunk it references.
  repo.onWarning = () => undefined; // a skipped snapshot file is reported as a problem below
  const snapshots = await repo.loadAllSnapshots();
  report.problems.push(...checkSnapshotFiles(repo), ...checkDataKeys(repo, index, snapshots));
  report.snapshots = snapshots.length;
  const reader = await repo.reader();
  const chainBad = (id: string): CheckProblem | undefined => {
    for (let cur: string | undefined = id, depth = 0; cur && depth < 64; depth++) {
      const hit = bad.get(cur);
      if (hit) return hit;
      const e = index.get(cur);
      if (!e) return undefined;
      cur = e.type === 'delta' ? e.base : undefined;
    }
    return undefined;
  };
  for (const s of snapshots) {
    const names = streamNames(repo, s, report);
    for (const stream of s.pub.streams) {
      const streamName = names.get(stream.mac) ?? `stream ${stream.mac.slice(0, 8)}`;
      const affects = { snapshot: s.file.id, stream: streamName };
      for (const mapId of stream.maps) {
        const missing = !index.get(mapId);
        const damaged = bad.get(mapId);
        if (missing || damaged) {
          if (damaged) damaged.affects.push(affects);
          else report.problems.push({ kind: 'missing-map', chunk: mapId, message: `map ${mapId.slice(0, 16)}… of ${streamName} in snapshot ${s.file.id.slice(0, 8)} is missing`, affects: [affects] });
          continue;
        }
        let entries;
        try {
          entries = (await reader.mapSegment(mapId)).entries;
        } catch (err) {
          report.problems.push({ kind: 'missing-map', chunk: mapId, message: (err as Error).message, affects: [affects] });
          continue;
        }
        const reported = new Set<CheckProblem>();
        for (const e of entries) {
          if (!e.id) continue;
          const id = e.id.toString('hex');
          const missingId = index.missingInChain(id);
          if (missingId) {
            report.problems.push({ kind: 'missing-chunk', chunk: missingId, message: `chunk ${missingId.slice(0, 16)}… used by ${streamName} in snapshot ${s.file.id.slice(0, 8)} is missing`, affects: [affects] });
            continue;
          }
          const hit = chainBad(id);
          if (hit && !reported.has(hit)) {
            reported.add(hit);
            if (!hit.affects.some((a) => a.snapshot === affects.snapshot && a.stream === affects.stream)) hit.affects.push(affects);
          }
        }
      }
    }
  }
  report.ok = report.problems.length === 0;
  return report;
}
