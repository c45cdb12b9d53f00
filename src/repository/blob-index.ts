// The blob index: chunk ID → where its blob lives. Built from the pack index files (`index/<pack>`),
// one per pack, written right after the pack itself — so the packs of a run that crashed before its
// snapshot was committed are found again and their chunks reused by the next run.
import { ExitCode, PermafrostError } from '../errors.js';
import { openJson, sealJson } from '../../streams/blob-crypto.js';
import { deriveKey } from '../../streams/keyed-hash.js';
import type { Backend } from './types.js';
import { FORMAT_VERSION, INDEX_PREFIX, indexKey as indexObjectKey, requireVersion } from './format.js';
import type { WrappedDek } from './keys.js';

export type BlobType = 'data' | 'delta' | 'map';
/** How the chunk ID was computed: `fixed` = HMAC over 4 KiB block digests, `plain` = HMAC of the bytes. */
export type IdScheme = 'fixed' | 'plain';

export interface BlobEntry {
  id: string;
  type: BlobType;
  offset: number;
  length: number;
  /** Length of the chunk's content (for a delta: of the rebuilt chunk). */
  raw: number;
  /** DEK id that encrypts it, or `map` for blobs under the map key. */
  key: string;
  scheme: IdScheme;
  /** Delta only: chunk ID of the base and chain depth (base of depth 0 = full chunk). */
  base?: string;
  depth?: number;
}

export interface PackIndexFile {
  version: number;
  pack: string;
  deks: Record<string, WrappedDek>;
  blobs: BlobEntry[];
}

export interface Located extends BlobEntry {
  pack: string;
}

export function indexKeyFrom(idKey: Buffer): Buffer {
  return deriveKey(idKey, 'pack-index');
}

export function sealPackIndex(key: Buffer, file: PackIndexFile): Buffer {
  return sealJson(key, `index:${file.pack}`, file);
}

export function openPackIndex(key: Buffer, packId: string, raw: Buffer, location: string): PackIndexFile {
  let file: PackIndexFile;
  try {
    file = openJson<PackIndexFile>(key, `index:${packId}`, raw);
    if (!file || !Array.isArray(file.blobs) || file.pack !== packId) throw new Error('not a pack index');
  } catch (err) {
    throw new PermafrostError(`pack index index/${packId} in ${location} cannot be decrypted (damaged, or not of this repository): run \`permafrost repo repair index\``, ExitCode.corrupted, { cause: err });
  }
  requireVersion('a pack index', file.version, location);
  return file;
}

export class BlobIndex {
  private readonly blobs = new Map<string, Located>();
  readonly deks = new Map<string, WrappedDek>();
  /** Pack ID → number of blobs the index lists in it. */
  readonly packs = new Map<string, number>();
  /** Pack ID → format version of its index file (from version 2 on, the pack has a trailer). */
  readonly packVersions = new Map<string, number>();
  /**
   * Index files that could not be opened: skipped, so that everything else stays usable; check
   * names them and `repo repair index` rebuilds them from their packs' trailers.
   */
  readonly damaged: { pack: string; message: string }[] = [];
  /** IDs being written by this process (not yet in a stored pack): dedups concurrent streams. */
  private readonly pending = new Set<string>();

  constructor(readonly key: Buffer) {}

  static async load(backend: Backend, idKey: Buffer, concurrency = 8): Promise<BlobIndex> {
    const index = new BlobIndex(indexKeyFrom(idKey));
    const keys: string[] = [];
    for await (const { key } of backend.list(INDEX_PREFIX)) keys.push(key);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < keys.length) {
        const key = keys[next++];
        const packId = key.slice(INDEX_PREFIX.length);
        let file: PackIndexFile;
        try {
          file = openPackIndex(index.key, packId, await backend.get(key), backend.location);
        } catch (err) {
          if (!(err instanceof PermafrostError) || err.exitCode !== ExitCode.corrupted) throw err;
          index.damaged.push({ pack: packId, message: err.message });
          continue;
        }
        index.addPack(file);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
    return index;
  }

  addPack(file: PackIndexFile): void {
    for (const [id, wraps] of Object.entries(file.deks)) this.deks.set(id, wraps);
    for (const b of file.blobs) {
      // First writer wins; a duplicate in another pack (two concurrent hosts) is garbage for prune.
      if (!this.blobs.has(b.id)) this.blobs.set(b.id, { ...b, pack: file.pack });
      this.pending.delete(b.id);
    }
    this.packs.set(file.pack, file.blobs.length);
    this.packVersions.set(file.pack, file.version);
  }

  removePack(packId: string): void {
    this.packs.delete(packId);
    this.packVersions.delete(packId);
    for (const [id, b] of this.blobs) if (b.pack === packId) this.blobs.delete(id);
  }

  /** The first ID of a chunk's delta chain (the chunk, its base, …) that the index lacks, or undefined. */
  missingInChain(id: string): string | undefined {
    for (let cur: string | undefined = id, depth = 0; cur && depth < 64; depth++) {
      const entry = this.blobs.get(cur);
      if (!entry) return cur;
      cur = entry.type === 'delta' ? entry.base : undefined;
    }
    return undefined;
  }

  has(id: string): boolean {
    return this.blobs.has(id) || this.pending.has(id);
  }

  get(id: string): Located | undefined {
    return this.blobs.get(id);
  }

  /** Marks an ID as being written; false if it is already stored or being written. */
  reserve(id: string): boolean {
    if (this.has(id)) return false;
    this.pending.add(id);
    return true;
  }

  release(id: string): void {
    this.pending.delete(id);
  }

  get size(): number {
    return this.blobs.size;
  }

  entries(): IterableIterator<Located> {
    return this.blobs.values();
  }
}

export async function writePackIndex(backend: Backend, key: Buffer, file: PackIndexFile): Promise<number> {
  const sealed = sealPackIndex(key, { ...file, version: FORMAT_VERSION });
  await backend.put(indexObjectKey(file.pack), sealed);
  return sealed.length;
}
