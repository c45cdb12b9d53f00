// The parts of `repo check` beyond packs and chunks: everything else a restore or a backup needs
// to open — key slots, the recipients file, every wrapped data key, each snapshot file and pack
// index file on its own, and (with --read-data) each pack's trailer.
import { ExitCode, PermafrostError } from '../errors.js';
import type { BlobIndex } from './blob-index.js';
import type { CheckProblem } from './check.js';
import { snapshotKey } from './format.js';
import { DamagedKeyError, loadRecipients, readSlots, unwrapDek } from './keys.js';
import { readTrailer } from './pack-trailer.js';
import type { LoadedSnapshot, PermafrostRepository } from './repository.js';

const problem = (kind: CheckProblem['kind'], message: string, extra: Partial<CheckProblem> = {}): CheckProblem => ({ kind, message, affects: [], ...extra });

/** Key slots that cannot be used, and the recipients file. */
export async function checkKeyFiles(repo: PermafrostRepository): Promise<CheckProblem[]> {
  const problems: CheckProblem[] = [];
  const { damaged } = await readSlots(repo.backend);
  for (const d of damaged) problems.push(problem('damaged-key-slot', `key slot ${d.key} is damaged (${d.reason}): remove it with \`permafrost repo repair keys\`, or put back an intact copy`));
  try {
    await loadRecipients(repo.backend, repo.secrets.idKey);
  } catch (err) {
    if (!(err instanceof PermafrostError) || err.exitCode !== ExitCode.corrupted) throw err;
    problems.push(problem('damaged-recipients', err.message));
  }
  return problems;
}

/** Pack index files skipped when the index was loaded. */
export function checkIndexFiles(index: BlobIndex): CheckProblem[] {
  return index.damaged.map((d) => problem('damaged-index', d.message, { pack: d.pack }));
}

/** Snapshot files skipped by loadAllSnapshots (bad JSON, bad public part). */
export function checkSnapshotFiles(repo: PermafrostRepository): CheckProblem[] {
  return [...repo.unreadableSnapshots].map(([id, message]) =>
    problem('damaged-snapshot', `${snapshotKey(id)}: ${message}; \`permafrost repo repair snapshots\` moves it aside`, { affects: [{ snapshot: id, stream: '*' }] }),
  );
}

/** Every wrapped data key of the snapshots and of the pack indexes opens with the reader key. */
export function checkDataKeys(repo: PermafrostRepository, index: BlobIndex, snapshots: LoadedSnapshot[]): CheckProblem[] {
  if (!repo.canRead) return [];
  const problems: CheckProblem[] = [];
  const tryWraps = (where: string, dekId: string, wraps: Parameters<typeof unwrapDek>[0] | undefined, affects: CheckProblem['affects']): void => {
    let ok = false;
    let why = 'it is not wrapped for the reader key';
    try {
      ok = wraps !== undefined && unwrapDek(wraps, repo.secrets.readerPrivateKey!) !== undefined;
    } catch (err) {
      if (!(err instanceof DamagedKeyError)) throw err;
      why = 'its RSA-OAEP block does not open';
    }
    if (!ok) problems.push(problem('damaged-key', `wrapped data key ${dekId.slice(0, 8)} in ${where} is damaged (${why}): run \`permafrost repo repair snapshots\``, { affects }));
  };
  for (const s of snapshots) {
    for (const [dekId, wraps] of Object.entries(s.file.deks)) tryWraps(snapshotKey(s.file.id), dekId, wraps, [{ snapshot: s.file.id, stream: '*' }]);
    if (!s.file.deks[s.file.dek]) tryWraps(snapshotKey(s.file.id), s.file.dek, undefined, [{ snapshot: s.file.id, stream: '*' }]);
  }
  for (const [dekId, wraps] of index.deks) tryWraps('the pack index', dekId, wraps, []);
  return problems;
}

/** The trailer of each version-2 pack in `packs` opens and lists what its index file lists. */
export async function checkTrailers(repo: PermafrostRepository, index: BlobIndex, packs: Iterable<[string, number]>): Promise<CheckProblem[]> {
  const problems: CheckProblem[] = [];
  for (const [pack, size] of packs) {
    if ((index.packVersions.get(pack) ?? 1) < 2) continue;
    const t = await readTrailer(repo.backend, index.key, pack, size);
    const why = t.kind === 'ok' ? (t.file.blobs.length === index.packs.get(pack) ? undefined : 'it lists other blobs than the index') : t.kind === 'none' ? 'it is missing' : t.reason;
    if (why) problems.push(problem('damaged-trailer', `the trailer of pack ${pack.slice(0, 16)}… is damaged (${why}): \`permafrost repo repair packs\` rewrites the pack`, { pack }));
  }
  return problems;
}
