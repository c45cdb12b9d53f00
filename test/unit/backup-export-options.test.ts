// Runner plumbing of the opt-in export parts, with in-memory stand-ins (the real exports run in
// test/cloud-e2e/backup-extras.test.ts): `--snapshot-data` reaches the service hooks, service
// facts land in the manifest, and a new disk stream uses its `baseStream` of the parent snapshot
// as delta base while an existing one keeps its own.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { backupProject } from '../../src/backup/project-backup.js';
import type { BackupReporter } from '../../src/backup/events.js';
import type { ServiceModule } from '../../services/module.js';
import type { DataExportJob, ExportOptions } from '../../services/data-export.js';
import type { Session } from '../../src/openstack/types.js';
import type { Repository, SnapshotInfo, SnapshotWriter, WriteStreamOptions } from '../../src/repository/types.js';

const session = {
  cloudName: 'c',
  userId: 'u',
  roles: ['member'],
  project: { id: 'p1', name: 'proj', domainId: 'default' },
  isAdmin: () => false,
  hasService: (t: string) => t === 'volumev3',
} as unknown as Session;

class MemoryRepo implements Repository {
  readonly location = 'memory';
  readonly canRead = true;
  snapshots: SnapshotInfo[] = [];
  docs = new Map<string, unknown>();
  streamOpts = new Map<string, WriteStreamOptions | undefined>();
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
        const info: SnapshotInfo = { id, time: new Date(Date.now() + this.snapshots.length).toISOString(), hostname: 'h', type: opts.type, tags: tags ?? {}, streams, parent: opts.parent, stats: { bytesRead: 0, bytesNew: 0, bytesStored: 0, chunksNew: 0, chunksReused: 0 } };
        this.snapshots.push(info);
        return info;
      },
      abort: async () => {},
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
  async close() {}
}

const reporter: BackupReporter = { begin() {}, bytes() {}, emit() {}, close() {} };

function volumesModule(seen: Array<ExportOptions | undefined>): ServiceModule {
  return {
    name: 'volumes',
    serviceTypes: ['volumev3'],
    kinds: ['volume', 'volume_snapshot'],
    inventory: async () => ({
      resources: [
        { kind: 'volume', id: 'v1', name: 'data', fields: {}, refs: [], status: 'ok' },
        { kind: 'volume_snapshot', id: 's1', name: 'snap', fields: { volume_id: 'v1' }, refs: [], status: 'ok' },
      ],
      skipped: [],
    }),
    exportData: async (ctx, records) => {
      seen.push(ctx.options);
      ctx.serviceFact?.('volumes', 'note', { hello: 'world' });
      const disk = (kind: 'volume' | 'volume_snapshot', id: string, base?: string): DataExportJob => ({
        kind,
        id,
        lane: 'disk',
        transfer: async () => {
          const out = await ctx.writeStream(`${kind}/${id}`, Readable.from([Buffer.from('blocks')]), { chunker: 'fixed', ...(base ? { baseStream: base } : {}) });
          return { data: [{ stream: out.name, size: out.size, sha256: out.sha256 }] };
        },
      });
      const jobs = records.filter((r) => r.kind === 'volume').map((r) => disk('volume', r.id));
      if (ctx.options?.snapshotData) jobs.push(...records.filter((r) => r.kind === 'volume_snapshot').map((r) => disk('volume_snapshot', r.id, 'volume/v1')));
      return jobs;
    },
  };
}

describe('backup export options', () => {
  it('passes --snapshot-data to the hooks, records service facts, uses the base stream for a new disk stream', async () => {
    const repo = new MemoryRepo();
    const seen: Array<ExportOptions | undefined> = [];
    const base = { session, project: { id: 'p1', name: 'proj' }, repository: repo, modules: [volumesModule(seen)], reporter, signal: new AbortController().signal };
    const first = await backupProject(base);
    expect(seen[0]).toEqual({});
    expect(first.manifest.resources.find((r) => r.id === 's1')!.data).toBeUndefined();
    expect(first.manifest.services).toEqual([{ name: 'volumes', status: 'ok', facts: { note: { hello: 'world' } } }]);

    // second run with snapshot data: the snapshot's stream is new, the volume's stream of the parent is its base
    const second = await backupProject({ ...base, exportOptions: { snapshotData: true } });
    expect(seen[1]).toEqual({ snapshotData: true });
    expect(second.manifest.resources.find((r) => r.id === 's1')!.data![0]!.stream).toBe('volume_snapshot/s1');
    expect(repo.streamOpts.get('volume_snapshot/s1')).toEqual({ chunker: 'fixed', parentStream: 'volume/v1' });
    expect(repo.streamOpts.get('volume/v1')).toEqual({ chunker: 'fixed', parentStream: 'volume/v1' });

    // third run: the snapshot's own stream in the parent wins over the base
    await backupProject({ ...base, exportOptions: { snapshotData: true } });
    expect(repo.streamOpts.get('volume_snapshot/s1')).toEqual({ chunker: 'fixed', parentStream: 'volume_snapshot/s1' });
  });
});
