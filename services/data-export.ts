// The data-export extension of the service-module contract (services/module.ts, optional
// `exportData` hook). A service whose resources carry bytes (images, volumes, server disks,
// objects) turns its inventory records into export jobs; the backup runner (src/backup/) runs
// them. Jobs come in two steps so that a whole project is captured in a short window:
// every job's `capture` (volume snapshot, createImage) is started together, with bounded
// parallelism, before any `transfer` (the slow part: clone, upload, download) begins.
import type { Readable } from 'node:stream';
import type { ResourceKind } from '../src/model/kinds.js';
import type { DataStreamRef, ResourceRecord } from '../src/model/resource.js';
import type { Session } from '../src/openstack/types.js';
import type { ChunkerKind } from '../src/repository/types.js';

/** Cloud resources a backup may create for a short time (and must always delete again). */
export type TemporaryKind = 'image' | 'volume' | 'volume_snapshot';

export interface TemporaryResource {
  kind: TemporaryKind;
  id: string;
  name: string;
}

/** Creates recognisable names for temporaries and guarantees their deletion. */
export interface TemporaryTracker {
  /** `permafrost-backup-<backupId>-<purpose>`: what `permafrost cleanup` recognises. */
  nameFor(purpose: string): string;
  /** Metadata / image properties every temporary carries (backup ID, host, pid). */
  metadata(): Record<string, string>;
  /** Records a temporary as soon as the cloud returned its ID (before waiting on it). */
  track(resource: TemporaryResource): void;
  /** Deletes one temporary now (waits until the cloud lets it be deleted) and forgets it. */
  release(kind: TemporaryKind, id: string): Promise<void>;
}

export interface ExportStreamOptions {
  /** `fixed` for disks (block-incremental against the parent snapshot), `cdc` for objects. */
  chunker: ChunkerKind;
  /** Expected byte count, for progress bars. */
  expectedSize?: number;
  /**
   * Delta base when the stream is new (fixed chunker only): a stream of the parent snapshot
   * whose blocks are likely similar, e.g. `volume/<id>` for a snapshot of that volume. Identical
   * chunks are stored once anyway; the base adds sub-block deltas for chunks that changed little.
   */
  baseStream?: string;
}

/** Opt-in parts of a backup (CLI flags). */
export interface ExportOptions {
  /** `--snapshot-data`: also export every volume snapshot's bytes (`volume_snapshot/<id>`). */
  snapshotData?: boolean;
}

/** What the runner measured while a stream went into the repository. */
export interface ExportedStream {
  name: string;
  size: number;
  /** sha256 of the bytes, hex (computed by the repository). */
  sha256: string;
  /** md5 of the bytes, hex: what Glance (`checksum`) and Swift (`etag`) publish. */
  md5: string;
}

export interface ExportProgress {
  /** Short human-readable step of one resource ("snapshot", "upload to image", "download"). */
  step(kind: ResourceKind, id: string, text: string): void;
}

export interface DataExportContext {
  session: Session;
  /** The project being backed up (old ID). */
  projectId: string;
  /** ID of this backup run; part of every temporary's name. */
  backupId: string;
  /** Streams bytes into the snapshot under `name` (`image/<id>`, `volume/<id>`, …). */
  writeStream(name: string, data: Readable, opts: ExportStreamOptions): Promise<ExportedStream>;
  temporaries: TemporaryTracker;
  progress: ExportProgress;
  /** Set when the run is interrupted (SIGINT/SIGTERM): stop waiting, let the runner clean up. */
  signal: AbortSignal;
  /** Opt-in parts of the backup (absent: defaults). */
  options?: ExportOptions;
  /**
   * Records a fact about a service as a whole (not one resource): Swift account metadata, an
   * optional service the cloud lacks. Written to the manifest as `services[].facts[key]`.
   */
  serviceFact?(service: string, key: string, value: unknown): void;
}

/** Outcome of one resource's data export. */
export interface DataExportResult {
  data: DataStreamRef[];
  /** Fields learnt while exporting (e.g. a large-object manifest), merged into the record. */
  fields?: Record<string, unknown>;
}

export interface DataExportJob {
  kind: ResourceKind;
  id: string;
  /** `disk` jobs are few and long (GiB), `small` jobs many and short (objects). */
  lane: 'disk' | 'small';
  /** Expected bytes, for progress. */
  size?: number;
  /** Point-in-time step (snapshot / createImage request), run for all jobs together. */
  capture?(): Promise<void>;
  /**
   * Captures run in ascending phases (default 0): a later phase starts once every capture of the
   * earlier ones has finished. Servers (phase 1) follow volumes (phase 0): Nova refuses the
   * assisted snapshot of an attached volume while it snapshots the server itself.
   */
  capturePhase?: number;
  /** Reads the data into the repository; throws to mark the resource failed (with the reason). */
  transfer(): Promise<DataExportResult>;
}

/** The optional hook a service module implements when its resources carry data. */
export type ExportDataHook = (ctx: DataExportContext, records: ResourceRecord[]) => Promise<DataExportJob[]>;

/**
 * Thrown by an export when its resource was deleted (or is being deleted) while the backup ran:
 * the runner records it as skipped, not failed — a project in use changes under a backup.
 */
export class ResourceGoneError extends Error {
  constructor(what: string) {
    super(`${what} was deleted while the backup ran`);
    this.name = 'ResourceGoneError';
  }
}
