// Shared stand-ins of the backup runner's unit suites (backup-runner, backup-export-options): a
// session that names its services, an in-memory repository that records what was written, and a
// reporter that records the events. Runs register in a temporary state directory, not the user's.
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { expect } from 'vitest';
import type { BackupEvent, BackupReporter } from '../../src/backup/events.js';
import type { Session } from '../../src/openstack/types.js';
import type { Repository, SnapshotInfo, SnapshotWriter, WriteStreamOptions } from '../../src/repository/types.js';
import { ExitCode, PermafrostError } from '../../src/errors.js';

process.env.PERMAFROST_STATE_DIR ??= mkdtempSync(path.join(tmpdir(), 'pf-unit-state-'));

/** A member's session scoped to project p1 that offers the given service types. */
export function fakeSession(serviceTypes: string[], extra: Record<string, unknown> = {}): Session {
  return {
    cloudName: 'c',
    userId: 'u',
    roles: ['member'],
    project: { id: 'p1', name: 'proj', domainId: 'default' },
    isAdmin: () => false,
    hasService: (t: string) => serviceTypes.includes(t),
    ...extra,
  } as unknown as Session;
}

/** Snapshots, documents and stream options in memory; commit insists on the manifest first. */
export class MemoryRepo implements Repository {
  readonly location = 'memory';
  readonly canRead = true;
  snapshots: SnapshotInfo[] = [];
  docs = new Map<string, unknown>();
  streamOpts = new Map<string, WriteStreamOptions | undefined>();
  aborted = 0;
  async startSnapshot(opts: { type: string; tags?: Record<string, string>; parent?: string }): Promise<SnapshotWriter> {
    const streams: string[] = [];
    const id = `snap${this.snapshots.length + 1}`;
    return {
      id,
      writeStream: async (name: string, data: Readable, wopts?: WriteStreamOptions) => {
        this.streamOpts.set(name, wopts);
        const h = createHash('sha256');
        let size = 0;
        for await (const c of data) {
          h.update(c as Buffer);
          size += (c as Buffer).length;
        }
        streams.push(name);
        return { name, size, sha256: h.digest('hex') };
      },
      writeDocument: async (name: string, doc: unknown) => {
        this.docs.set(`${id}/${name}`, JSON.parse(JSON.stringify(doc)));
      },
      commit: async (tags?: Record<string, string>) => {
        expect(this.docs.has(`${id}/manifest`)).toBe(true);
        const info: SnapshotInfo = { id, time: new Date(Date.now() + this.snapshots.length).toISOString(), hostname: 'h', type: opts.type, tags: tags ?? {}, streams, parent: opts.parent, stats: { bytesRead: 0, bytesNew: 0, bytesStored: 0, chunksNew: 0, chunksReused: 0 } };
        this.snapshots.push(info);
        return info;
      },
      abort: async () => {
        this.aborted++;
      },
    };
  }
  async listSnapshots() {
    return this.snapshots;
  }
  async getSnapshot(id: string) {
    return this.snapshots.find((s) => s.id === id)!;
  }
  async readStream(): Promise<Readable> {
    throw new Error('not used');
  }
  async readDocument<T>(snapshotId: string, name: string): Promise<T> {
    return this.docs.get(`${snapshotId}/${name}`) as T;
  }
  /** Run locks held now: project → backup ID. */
  runs = new Map<string, string>();
  async lockRun(req: { project: string; backupId: string }) {
    if (this.runs.has(req.project)) throw new PermafrostError(`project ${req.project} is being backed up by another run`, ExitCode.busy);
    this.runs.set(req.project, req.backupId);
    return { release: async () => void this.runs.delete(req.project) };
  }
  async liveRuns() {
    return new Set(this.runs.values());
  }
  async close() {}
}

/** Records every event and counts the bytes. */
export class Recorder implements BackupReporter {
  events: BackupEvent[] = [];
  bytesSeen = 0;
  begin() {}
  bytes(_k: unknown, _i: unknown, n: number) {
    this.bytesSeen += n;
  }
  emit(e: BackupEvent) {
    this.events.push(e);
  }
  close() {}
}
