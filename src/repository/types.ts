// Contracts of the repository. src/repository implements them (format: docs/repository-format.md);
// the backup runner, restore executor and CLI program against them only.
import type { Readable } from 'node:stream';

// ---------------------------------------------------------------- storage backends
/** A flat key → bytes store. Keys are '/'-separated relative paths (e.g. `data/ab/abcd…`). */
export interface Backend {
  /** Human-readable location without secrets, for messages (`file:///srv/repo`, `swift://c/p`). */
  readonly location: string;
  /** Writes the whole object; atomic: a reader sees either nothing or all of it. */
  put(key: string, data: Buffer): Promise<void>;
  /**
   * Optional: as put() of the concatenation of `parts`, without joining them into one buffer first
   * (a local file is written with writev). Packs use it to write their shuffled blobs in place.
   * `onWritten` is called as soon as the parts' memory is no longer needed (written to the file,
   * before it is flushed to disk), so the caller can reuse it while the object becomes durable.
   */
  putParts?(key: string, parts: Buffer[], onWritten?: () => void): Promise<void>;
  /** Writes an object only if it does not exist yet; returns false if it already existed. */
  putIfAbsent?(key: string, data: Buffer): Promise<boolean>;
  get(key: string): Promise<Buffer>;
  /** Byte range [offset, offset+length). */
  getRange(key: string, offset: number, length: number): Promise<Buffer>;
  /**
   * Reads the byte range [offset, offset + into.length) into `into` (e.g. a region of shared
   * memory), without allocating a buffer per read; returns the bytes read (fewer at the end of the
   * object). Optional: callers fall back to getRange.
   */
  getRangeInto?(key: string, offset: number, into: Buffer): Promise<number>;
  /** Size in bytes, or undefined when the key does not exist. */
  stat(key: string): Promise<{ size: number } | undefined>;
  /** Keys under a prefix (recursive), in no particular order. */
  list(prefix: string): AsyncIterable<{ key: string; size: number }>;
  delete(key: string): Promise<void>;
  /** Optional: removes temporary files of writes that never finished, untouched for `olderThanMs`. */
  removeStaleTemporaries?(olderThanMs: number): Promise<number>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- snapshots
export type ChunkerKind = 'fixed' | 'cdc';

export interface SnapshotInfo {
  id: string;
  /** ISO 8601 */
  time: string;
  hostname: string;
  /** What the snapshot is of: `file`, `project` (a tenant backup), … */
  type: string;
  /** Free-form labels: project id/name, cloud, region, user tags (`--tag K=V`). */
  tags: Record<string, string>;
  /** Names of the data streams in the snapshot. */
  streams: string[];
  /** Optional parent snapshot used for block-incremental deltas. */
  parent?: string;
  stats: SnapshotStats;
}

export interface SnapshotStats {
  /** Bytes read from the sources. */
  bytesRead: number;
  /** Bytes in chunks that were new to the repository (before compression). */
  bytesNew: number;
  /** Bytes actually stored (after compression + encryption, incl. pack overhead). */
  bytesStored: number;
  chunksNew: number;
  chunksReused: number;
}

export interface StreamResult {
  name: string;
  size: number;
  /** sha256 of the raw stream bytes, hex. */
  sha256: string;
}

export interface WriteStreamOptions {
  chunker?: ChunkerKind;
  /** Stream of the same name in the parent snapshot, for sub-block deltas (disks). */
  parentStream?: string;
}

/** A snapshot being written. Nothing becomes visible before commit(). */
export interface SnapshotWriter {
  readonly id: string;
  writeStream(name: string, data: Readable, opts?: WriteStreamOptions): Promise<StreamResult>;
  /** Stores a small document (manifest JSON, metadata) encrypted, under a name in the snapshot. */
  writeDocument(name: string, doc: unknown): Promise<void>;
  /** Writes the manifest last; after this the snapshot is visible. */
  commit(tags?: Record<string, string>): Promise<SnapshotInfo>;
  /** Drops the snapshot (uploaded chunks stay for reuse by the next run until prune). */
  abort(): Promise<void>;
}

export interface Repository {
  readonly location: string;
  /** false when opened with only the public key (write-only host). */
  readonly canRead: boolean;
  startSnapshot(opts: { type: string; tags?: Record<string, string>; parent?: string; time?: string }): Promise<SnapshotWriter>;
  listSnapshots(): Promise<SnapshotInfo[]>;
  /** Resolves a full ID, a unique prefix, or `latest`. */
  getSnapshot(idOrPrefix: string): Promise<SnapshotInfo>;
  readStream(snapshotId: string, name: string): Promise<Readable>;
  readDocument<T = unknown>(snapshotId: string, name: string): Promise<T>;
  /** Takes the run lock of a project (refused with exit code busy while another run holds it). */
  lockRun(req: RunLockRequest): Promise<{ release(): Promise<void> }>;
  /** The backup IDs whose run lock has a fresh heartbeat (their temporaries are in use). */
  liveRuns(): Promise<Set<string>>;
  close(): Promise<void>;
}

export interface RunLockRequest {
  /** `cloud/projectId`: the project the run is for. */
  project: string;
  /** Readable project name for messages. */
  projectName?: string;
  backupId: string;
  command: string;
}
