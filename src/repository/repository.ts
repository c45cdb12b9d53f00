// The repository (format v1): opening with a passphrase (read + write) or with a registered public
// key (write-only), snapshots, streams and documents. See docs/repository-format.md.
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { gearTable } from '../../streams/cdc-chunker.js';
import { deriveKey } from '../../streams/keyed-hash.js';
import { WorkerPool } from '../../streams/worker-pool.js';
import { ExitCode, PermafrostError } from '../errors.js';
import { BlobIndex, type Located } from './blob-index.js';
import { ChunkReader, streamExtents, type Extent, type StreamReadOptions } from './chunk-reader.js';
import type { RepoConfig } from './config.js';
import { SNAPSHOTS_PREFIX, randomId, snapshotKey } from './format.js';
import { DamagedKeyError, loadRecipients, unwrapDek, wrapDek, type MasterSecrets, type WrappedDek } from './keys.js';
import { RepoLock } from './locks.js';
import { RunLock, liveRunIds } from './run-lock.js';
import { PackWriter } from './pack-writer.js';
import {
  nameKeyFrom,
  nameMac,
  openPrivate,
  openPublic,
  parseSnapshotFile,
  publicKeyFrom,
  recordedDigest,
  type SnapshotFile,
  type SnapshotPrivate,
  type SnapshotPublic,
} from './snapshot-file.js';
import type { MapEntry } from './stream-map.js';
import { newDek, RepoSnapshotWriter, type WriterHost } from './snapshot-writer.js';
import { openMapSegment, type ParentMap } from './stream-writer.js';
import type { Backend, Repository, RunLockRequest, SnapshotInfo, SnapshotStats, SnapshotWriter } from './types.js';

export interface LoadedSnapshot {
  file: SnapshotFile;
  pub: SnapshotPublic;
}

export interface StartSnapshotOptions {
  type: string;
  tags?: Record<string, string>;
  parent?: string;
  /** Snapshot time (ISO 8601); default now. Import keeps the original time. */
  time?: string;
  /** Source bytes consumed so far (progress bars). */
  onBytes?: (n: number) => void;
}

export class PermafrostRepository implements Repository, WriterHost {
  readonly location: string;
  readonly canRead: boolean;
  readonly nameKey: Buffer;
  readonly snapshotPublicKey: Buffer;
  readonly mapKey: Buffer;
  private indexPromise: Promise<BlobIndex> | undefined;
  private poolInstance: WorkerPool | undefined;
  private readonly dekCache = new Map<string, Buffer>();
  private readerInstance: ChunkReader | undefined;
  /**
   * Snapshot files that could not be read (ID → why): skipped by every listing so that the other
   * snapshots stay usable; `repo check` names them, `repo repair snapshots` moves them aside.
   */
  readonly unreadableSnapshots = new Map<string, string>();
  /** Where warnings about skipped damage go (stderr; tests and JSON callers may replace it). */
  onWarning: (message: string) => void = (message) => process.stderr.write(`warning: ${message}\n`);

  constructor(
    readonly backend: Backend,
    readonly config: RepoConfig,
    readonly secrets: MasterSecrets,
  ) {
    this.location = backend.location;
    this.canRead = secrets.readerPrivateKey !== undefined;
    this.nameKey = nameKeyFrom(secrets.idKey);
    this.snapshotPublicKey = publicKeyFrom(secrets.idKey);
    this.mapKey = deriveKey(secrets.idKey, 'stream-maps');
  }

  // ------------------------------------------------------------------ shared machinery
  index(): Promise<BlobIndex> {
    this.indexPromise ??= BlobIndex.load(this.backend, this.secrets.idKey);
    return this.indexPromise;
  }

  /** Forgets the loaded index (after prune rewrote it). */
  resetIndex(): void {
    this.indexPromise = undefined;
    void this.readerInstance?.close();
    this.readerInstance = undefined;
  }

  pool(): WorkerPool {
    if (!this.poolInstance) {
      this.poolInstance = prestartedPool ?? new WorkerPool();
      prestartedPool = undefined;
    }
    return this.poolInstance;
  }

  requireRead(what: string): void {
    if (!this.canRead) {
      throw new PermafrostError(
        `${what} needs the repository password: this host opened ${this.location} with a public key only (write-only mode), which can add snapshots but never read them`,
        ExitCode.repository,
      );
    }
  }

  /** Opens a DEK with the reader key (cached). */
  dek(dekId: string, wraps: WrappedDek | undefined, where?: string): Buffer {
    const cached = this.dekCache.get(dekId);
    if (cached) return cached;
    this.requireRead('reading data');
    if (!wraps) throw new PermafrostError(`data key ${dekId.slice(0, 8)} is not listed in any index of ${this.location}`, ExitCode.corrupted);
    let dek: Buffer | undefined;
    try {
      dek = unwrapDek(wraps, this.secrets.readerPrivateKey!);
    } catch (err) {
      if (!(err instanceof DamagedKeyError)) throw err;
      throw new PermafrostError(
        `the wrapped data key ${dekId.slice(0, 8)} in ${where ?? this.location} is damaged: run \`permafrost repo check\`; \`permafrost repo repair snapshots\` restores it from another copy (docs/repair.md)`,
        ExitCode.corrupted,
        { cause: err },
      );
    }
    if (!dek) throw new PermafrostError(`data key ${dekId.slice(0, 8)} was not wrapped for this repository's reader key`, ExitCode.repository);
    this.dekCache.set(dekId, dek);
    return dek;
  }

  async reader(): Promise<ChunkReader> {
    if (!this.readerInstance) {
      const index = await this.index();
      this.readerInstance = new ChunkReader(this.backend, index, async (entry: Located) =>
        entry.key === 'map' ? this.mapKey : this.dek(entry.key, index.deks.get(entry.key)),
      );
    }
    return this.readerInstance;
  }

  // ------------------------------------------------------------------ snapshots
  async snapshotIds(): Promise<string[]> {
    const ids: string[] = [];
    for await (const { key } of this.backend.list(SNAPSHOTS_PREFIX)) ids.push(key.slice(SNAPSHOTS_PREFIX.length));
    return ids;
  }

  async loadSnapshot(id: string): Promise<LoadedSnapshot> {
    const file = parseSnapshotFile(await this.backend.get(snapshotKey(id)), this.location, id);
    return { file, pub: openPublic(this.snapshotPublicKey, file) };
  }

  private skipSnapshot(id: string, err: unknown): void {
    if (!(err instanceof PermafrostError) || err.exitCode !== ExitCode.corrupted) throw err;
    if (this.unreadableSnapshots.has(id)) return;
    this.unreadableSnapshots.set(id, err.message);
    this.onWarning(`skipped ${snapshotKey(id)}: ${err.message}`);
  }

  /**
   * Public parts of all readable snapshots (works on write-only hosts), oldest first. A damaged
   * snapshot file is skipped with a warning (and listed in unreadableSnapshots).
   */
  async loadAllSnapshots(): Promise<LoadedSnapshot[]> {
    const ids = await this.snapshotIds();
    const out: LoadedSnapshot[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const id = ids[next++];
        try {
          out.push(await this.loadSnapshot(id));
        } catch (err) {
          this.skipSnapshot(id, err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, ids.length) }, worker));
    return out.sort((a, b) => a.pub.time.localeCompare(b.pub.time) || a.file.id.localeCompare(b.file.id));
  }

  privatePart(s: LoadedSnapshot): SnapshotPrivate {
    this.requireRead('reading snapshot manifests');
    return openPrivate(this.dek(s.file.dek, s.file.deks?.[s.file.dek], snapshotKey(s.file.id)), s.file);
  }

  info(s: LoadedSnapshot): SnapshotInfo {
    const priv = this.privatePart(s);
    return {
      id: s.file.id,
      time: s.pub.time,
      hostname: priv.hostname,
      type: priv.type,
      tags: priv.tags,
      streams: priv.streams.map((x) => x.name),
      ...(priv.parent ? { parent: priv.parent } : {}),
      stats: priv.stats,
    };
  }

  async listSnapshots(): Promise<SnapshotInfo[]> {
    this.requireRead('listing snapshots');
    const out: SnapshotInfo[] = [];
    for (const s of await this.loadAllSnapshots()) {
      try {
        out.push(this.info(s));
      } catch (err) {
        this.skipSnapshot(s.file.id, err);
      }
    }
    return out;
  }

  async resolveSnapshot(idOrPrefix: string): Promise<LoadedSnapshot> {
    if (idOrPrefix === 'latest') {
      const all = await this.loadAllSnapshots();
      if (all.length === 0) throw new PermafrostError(`${this.location} has no snapshot yet`, ExitCode.notFound);
      return all[all.length - 1];
    }
    const matches = (await this.snapshotIds()).filter((id) => id.startsWith(idOrPrefix.toLowerCase()));
    if (matches.length === 0 || idOrPrefix.length === 0) {
      throw new PermafrostError(`no snapshot "${idOrPrefix}" in ${this.location}: list them with \`permafrost snapshots\``, ExitCode.notFound);
    }
    if (matches.length > 1) throw new PermafrostError(`snapshot prefix "${idOrPrefix}" is ambiguous (${matches.length} snapshots match): give more characters`, ExitCode.usage);
    return this.loadSnapshot(matches[0]);
  }

  async getSnapshot(idOrPrefix: string): Promise<SnapshotInfo> {
    this.requireRead('reading snapshot manifests');
    return this.info(await this.resolveSnapshot(idOrPrefix));
  }

  // ------------------------------------------------------------------ writing
  async parentMap(streamMac: string, explicitParent: string | undefined): Promise<{ snapshot: string; map: ParentMap } | undefined> {
    let candidates: LoadedSnapshot[];
    if (explicitParent) candidates = [await this.resolveSnapshot(explicitParent)];
    else candidates = (await this.loadAllSnapshots()).reverse();
    for (const s of candidates) {
      const stream = s.pub.streams.find((x) => x.mac === streamMac && x.chunker === 'fixed');
      if (stream) return { snapshot: s.file.id, map: this.parentMapOf(stream.maps) };
    }
    return undefined;
  }

  private parentMapOf(maps: string[]): ParentMap {
    // Read forward one segment at a time (writers ask for increasing positions): memory stays at
    // one segment whatever the stream's size.
    let seg = -1;
    let first = 0;
    let entries: MapEntry[] = [];
    return {
      entryAt: async (i: number) => {
        while (i >= first + entries.length) {
          if (seg + 1 >= maps.length) return undefined;
          first += entries.length;
          seg++;
          entries = await openMapSegment(this.backend, await this.index(), this.mapKey, maps[seg]);
        }
        return i < first ? undefined : entries[i - first];
      },
    };
  }

  lockRun(req: RunLockRequest): Promise<RunLock> {
    return RunLock.acquire(this.backend, req);
  }

  liveRuns(): Promise<Set<string>> {
    return liveRunIds(this.backend);
  }

  async startSnapshot(opts: StartSnapshotOptions): Promise<SnapshotWriter> {
    const lock = await RepoLock.acquire(this.backend, false, `snapshot (${opts.type})`);
    try {
      const index = await this.index();
      if (opts.parent) await this.resolveSnapshot(opts.parent);
      const recipients = await loadRecipients(this.backend, this.secrets.idKey);
      const { dekId, dek } = newDek();
      const wraps = wrapDek(dek, recipients);
      if (this.canRead) this.dekCache.set(dekId, dek);
      const packer = new PackWriter(this.backend, index, { [dekId]: wraps }, this.config.packSize);
      const stats: SnapshotStats = { bytesRead: 0, bytesNew: 0, bytesStored: 0, chunksNew: 0, chunksReused: 0 };
      const ctx = {
        config: this.config,
        idKey: this.secrets.idKey,
        mapKey: this.mapKey,
        gear: gearTable(this.secrets.idKey),
        index,
        pool: this.pool(),
        packer,
        dekId,
        dek,
        stats,
        onBytes: opts.onBytes,
      };
      return new RepoSnapshotWriter(randomId(32), this, ctx, packer, lock, wraps, opts);
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  // ------------------------------------------------------------------ reading
  private streamOf(s: LoadedSnapshot, kind: 'stream' | 'doc', name: string): { maps: string[]; size: number } {
    const mac = nameMac(this.nameKey, kind, name);
    const stream = s.pub.streams.find((x) => x.mac === mac);
    if (!stream) {
      throw new PermafrostError(`snapshot ${s.file.id.slice(0, 8)} has no ${kind === 'doc' ? 'document' : 'stream'} "${name}"`, ExitCode.notFound);
    }
    return stream;
  }

  /**
   * What reading a stream needs: its size and recorded digest (`sha256`: plain SHA-256 hex, or
   * another algorithm named by a prefix, see streams/stream-digest.ts), the chunk reader and its
   * map segments.
   */
  async streamSource(snapshotId: string, name: string): Promise<{ size: number; sha256: string; reader: ChunkReader; maps: string[] }> {
    this.requireRead('restoring data');
    const s = await this.resolveSnapshot(snapshotId);
    const priv = this.privatePart(s);
    const stream = this.streamOf(s, 'stream', name);
    const meta = priv.streams.find((x) => x.name === name);
    return { size: stream.size, sha256: meta ? recordedDigest(meta) : '', reader: await this.reader(), maps: stream.maps };
  }

  /** Extents of a stream in order (zero runs without data), for sparse restores. */
  async streamExtents(snapshotId: string, name: string, opts?: StreamReadOptions): Promise<{ size: number; sha256: string; extents: AsyncGenerator<Extent> }> {
    const { size, sha256, reader, maps } = await this.streamSource(snapshotId, name);
    return { size, sha256, extents: streamExtents(reader, maps, opts) };
  }

  async readStream(snapshotId: string, name: string): Promise<Readable> {
    const { extents } = await this.streamExtents(snapshotId, name);
    return Readable.from(extentBytes(extents), { objectMode: false });
  }

  async readDocument<T = unknown>(snapshotId: string, name: string): Promise<T> {
    this.requireRead('reading documents');
    const s = await this.resolveSnapshot(snapshotId);
    const stream = this.streamOf(s, 'doc', name);
    const parts: Buffer[] = [];
    for await (const e of streamExtents(await this.reader(), stream.maps)) parts.push(e.data ?? Buffer.alloc(e.length));
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as T;
  }

  async close(): Promise<void> {
    await this.readerInstance?.close();
    await this.poolInstance?.close();
    this.poolInstance = undefined;
    await this.backend.close();
  }
}

/** Seal workers started ahead of time (prestartSealPool), for the next repository that needs them. */
let prestartedPool: WorkerPool | undefined;

/**
 * Starts the backup worker threads now, so that their start-up (a V8 isolate and the modules each)
 * runs on another core while the main thread derives the repository key from the
 * passphrase and loads the index; the next repository's pool() takes them. Idle workers do not
 * keep the process alive.
 */
export function prestartSealPool(): void {
  prestartedPool ??= new WorkerPool();
}

const ZERO_SLICE = Buffer.alloc(1 << 20);

async function* extentBytes(extents: AsyncGenerator<Extent>): AsyncGenerator<Buffer> {
  for await (const e of extents) {
    if (e.data) {
      yield e.data;
      continue;
    }
    for (let left = e.length; left > 0; left -= ZERO_SLICE.length) {
      // A fresh copy per slice: consumers may keep or mutate what they receive.
      yield Buffer.from(ZERO_SLICE.subarray(0, Math.min(left, ZERO_SLICE.length)));
    }
  }
}

export function sha256Hex(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}
