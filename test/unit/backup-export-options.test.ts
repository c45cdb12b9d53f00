// Runner plumbing of the opt-in export parts, with in-memory stand-ins (the real exports run in
// test/cloud-e2e/backup-extras.test.ts): `--snapshot-data` reaches the service hooks, service
// facts land in the manifest, and a new disk stream uses its `baseStream` of the parent snapshot
// as delta base while an existing one keeps its own.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { backupProject } from '../../src/backup/project-backup.js';
import type { ServiceModule } from '../../services/module.js';
import type { DataExportJob, ExportOptions } from '../../services/data-export.js';
import { MemoryRepo, Recorder, fakeSession } from './backup-helpers.js';

const session = fakeSession(['volumev3']);
const reporter = new Recorder();

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
