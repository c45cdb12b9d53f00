// A snapshot being written: many streams (concurrently), documents, then commit() writes the
// snapshot file — the only thing that makes the snapshot visible. Holds a shared lock throughout.
import crypto from 'node:crypto';
import os from 'node:os';
import { Readable } from 'node:stream';
import { ExitCode, PermafrostError } from '../errors.js';
import { snapshotKey } from './format.js';
import type { WrappedDek } from './keys.js';
import type { RepoLock } from './locks.js';
import type { PackWriter } from './pack-writer.js';
import { digestAlgOf } from '../../streams/stream-digest.js';
import { buildSnapshotFile, nameMac, type PrivateStream, type PublicStream } from './snapshot-file.js';
import { writeStreamData, type ParentMap, type WriteContext } from './stream-writer.js';
import type { SnapshotInfo, SnapshotWriter, StreamResult, WriteStreamOptions } from './types.js';

export interface WriterHost {
  readonly location: string;
  readonly backend: import('./types.js').Backend;
  readonly nameKey: Buffer;
  readonly snapshotPublicKey: Buffer;
  /** Map of the named stream in the parent (explicit or latest with that stream), if any. */
  parentMap(streamMac: string, explicitParent: string | undefined): Promise<{ snapshot: string; map: ParentMap } | undefined>;
}

export class RepoSnapshotWriter implements SnapshotWriter {
  private readonly publicStreams: PublicStream[] = [];
  private readonly privateStreams: PrivateStream[] = [];
  private readonly documents: { name: string; mac: string }[] = [];
  private readonly names = new Set<string>();
  private readonly running = new Set<Promise<unknown>>();
  private usedParent: string | undefined;
  private done = false;
  private readonly started = new Date();

  constructor(
    readonly id: string,
    private readonly host: WriterHost,
    private readonly ctx: WriteContext,
    private readonly packer: PackWriter,
    private readonly lock: RepoLock,
    private readonly wraps: WrappedDek,
    private readonly opts: { type: string; tags?: Record<string, string>; parent?: string; time?: string },
  ) {}

  private check(name: string): void {
    if (this.done) throw new PermafrostError(`snapshot ${this.id.slice(0, 8)} is already committed or aborted`, ExitCode.internal);
    if (this.names.has(name)) throw new PermafrostError(`stream "${name}" was already written to this snapshot`, ExitCode.usage);
    this.names.add(name);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.running.add(p);
    const drop = (): void => void this.running.delete(p);
    p.then(drop, drop);
    return p;
  }

  async writeStream(name: string, data: Readable, opts: WriteStreamOptions = {}): Promise<StreamResult> {
    this.check(`stream:${name}`);
    return this.track(
      (async () => {
        const chunker = opts.chunker ?? 'fixed';
        const mac = nameMac(this.host.nameKey, 'stream', name);
        let parent: ParentMap | undefined;
        if (chunker === 'fixed') {
          const parentMac = nameMac(this.host.nameKey, 'stream', opts.parentStream ?? name);
          const found = await this.host.parentMap(parentMac, this.opts.parent);
          if (found) {
            parent = found.map;
            this.usedParent ??= found.snapshot;
          }
        }
        const written = await writeStreamData(this.ctx, data, chunker, parent);
        this.publicStreams.push({ mac, chunker, size: written.size, maps: written.maps });
        const alg = digestAlgOf(written.sha256);
        this.privateStreams.push({ name, mac, size: written.size, ...(alg === 'sha256' ? { sha256: written.sha256 } : { digest: written.sha256 }) });
        return { name, size: written.size, sha256: written.sha256 };
      })(),
    );
  }

  async writeDocument(name: string, doc: unknown): Promise<void> {
    this.check(`doc:${name}`);
    await this.track(
      (async () => {
        const mac = nameMac(this.host.nameKey, 'doc', name);
        const bytes = Buffer.from(JSON.stringify(doc));
        const written = await writeStreamData(this.ctx, Readable.from([bytes]), 'cdc', undefined);
        this.publicStreams.push({ mac, chunker: 'cdc', size: written.size, maps: written.maps });
        this.documents.push({ name, mac });
      })(),
    );
  }

  async commit(tags: Record<string, string> = {}): Promise<SnapshotInfo> {
    if (this.done) throw new PermafrostError(`snapshot ${this.id.slice(0, 8)} is already committed or aborted`, ExitCode.internal);
    try {
      await Promise.all([...this.running]);
      await this.packer.flush();
      const time = this.opts.time ?? this.started.toISOString();
      const parent = this.opts.parent ?? this.usedParent;
      const stats = { ...this.ctx.stats, bytesStored: this.packer.bytesStored };
      const allTags = { ...(this.opts.tags ?? {}), ...tags };
      const file = buildSnapshotFile(
        this.id,
        this.host.snapshotPublicKey,
        { time, parent, streams: this.publicStreams },
        this.ctx.dekId,
        this.ctx.dek,
        this.wraps,
        { hostname: os.hostname(), type: this.opts.type, tags: allTags, parent, streams: this.privateStreams, documents: this.documents, stats },
      );
      const body = Buffer.from(JSON.stringify(file));
      stats.bytesStored += body.length;
      // The snapshot file is the commit point: written last, in one atomic put.
      await this.host.backend.put(snapshotKey(this.id), body);
      this.done = true;
      return {
        id: this.id,
        time,
        hostname: os.hostname(),
        type: this.opts.type,
        tags: allTags,
        streams: this.privateStreams.map((s) => s.name),
        ...(parent ? { parent } : {}),
        stats,
      };
    } finally {
      this.done = true;
      await this.lock.release();
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    try {
      await Promise.allSettled([...this.running]);
      // Chunks already sealed are stored with their index, so the next run reuses them.
      await this.packer.flush().catch(() => undefined);
    } finally {
      await this.lock.release();
    }
  }
}

export function newDek(): { dekId: string; dek: Buffer } {
  return { dekId: crypto.randomBytes(16).toString('hex'), dek: crypto.randomBytes(32) };
}
