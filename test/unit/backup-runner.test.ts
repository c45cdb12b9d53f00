// Orchestration logic of the project backup runner, with in-memory stand-ins for the service
// modules and the repository (the real ones are exercised by test/cloud-e2e/backup-*.test.ts):
// failure isolation, resources deleted mid-run, exclusions, capture phases before transfers,
// block-incremental parent streams, and the manifest written before commit.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { backupProject } from '../../src/backup/project-backup.js';
import { parseExclude } from '../../src/backup/exclude.js';
import type { BackupManifest } from '../../src/backup/manifest.js';
import type { ServiceModule } from '../../services/module.js';
import { ResourceGoneError, type DataExportJob } from '../../services/data-export.js';
import type { ResourceRecord } from '../../src/model/resource.js';
import { MemoryRepo, Recorder, fakeSession } from './backup-helpers.js';

const session = fakeSession(['compute', 'object-store'], { region: 'r' });

function rec(kind: ResourceRecord['kind'], id: string, name: string, fields: Record<string, unknown> = {}): ResourceRecord {
  return { kind, id, name, fields, refs: [], status: 'ok' };
}

function computeModule(log: string[]): ServiceModule {
  return {
    name: 'compute',
    serviceTypes: ['compute'],
    kinds: ['server'],
    inventory: async () => ({
      resources: [rec('server', 's-ok', 'web'), rec('server', 's-bad', 'broken'), rec('server', 's-gone', 'vanishing'), rec('server', 's-skip', 'scratch'), rec('server', 't', 'permafrost-backup-x-tmp')],
      skipped: [{ kind: 'flavor', reason: 'requires admin' }],
    }),
    exportData: async (ctx, records) =>
      records.map<DataExportJob>((r) => ({
        kind: 'server',
        id: r.id,
        lane: 'disk',
        capturePhase: r.id === 's-ok' ? 1 : 0,
        capture: async () => {
          log.push(`capture ${r.id}`);
        },
        transfer: async () => {
          log.push(`transfer ${r.id}`);
          if (r.id === 's-bad') throw new Error('Glance said no');
          if (r.id === 's-gone') throw new ResourceGoneError(`server ${r.id}`);
          const out = await ctx.writeStream(`server/${r.id}`, Readable.from([Buffer.from('disk-bytes')]), { chunker: 'fixed' });
          return { data: [{ stream: out.name, size: out.size, sha256: out.sha256, cloudChecksum: `md5:${out.md5}` }], fields: { learnt: true } };
        },
      })),
  };
}

const objectsModule: ServiceModule = {
  name: 'objects',
  serviceTypes: ['object-store'],
  kinds: ['container', 'object'],
  inventory: async () => ({
    resources: [rec('container', 'logs', 'logs'), rec('object', 'logs/a', 'a', { container: 'logs', name: 'a' }), rec('object', 'keep/b', 'b', { container: 'keep', name: 'b' })],
    skipped: [],
  }),
  exportData: async (_ctx, records) => {
    // excluded resources never reach the hook
    expect(records.map((r) => r.id)).toEqual(['keep/b']);
    return [];
  },
};

describe('backupProject', () => {
  it('isolates failures, skips vanished and excluded resources, captures in phases before transfers', async () => {
    const log: string[] = [];
    const repo = new MemoryRepo();
    const reporter = new Recorder();
    const res = await backupProject({
      session,
      project: { id: 'p1', name: 'proj' },
      repository: repo,
      modules: [computeModule(log), objectsModule],
      excludes: [parseExclude('server:scratch'), parseExclude('container:logs')],
      userTags: { schedule: 'nightly' },
      reporter,
      signal: new AbortController().signal,
    });
    const byId = new Map(res.manifest.resources.map((r) => [r.id, r]));
    expect(byId.get('s-ok')).toMatchObject({ status: 'ok', fields: { learnt: true }, data: [{ stream: 'server/s-ok', size: 10 }] });
    expect(byId.get('s-ok')!.data![0]!.cloudChecksum).toBe(`md5:${createHash('md5').update('disk-bytes').digest('hex')}`);
    expect(byId.get('s-bad')).toMatchObject({ status: 'failed', reason: 'Glance said no' });
    expect(byId.get('s-gone')).toMatchObject({ status: 'skipped', reason: 'server s-gone was deleted while the backup ran' });
    expect(byId.get('s-skip')).toMatchObject({ status: 'skipped', reason: 'excluded by --exclude server:scratch' });
    expect(byId.get('logs/a')).toMatchObject({ status: 'skipped', reason: expect.stringContaining('container logs excluded') });
    expect(byId.has('t')).toBe(false); // a temporary of a live run is not part of the tenant
    // every phase-0 capture before the phase-1 one, every capture before any transfer
    expect(new Set(log.slice(0, 2))).toEqual(new Set(['capture s-bad', 'capture s-gone']));
    expect(log[2]).toBe('capture s-ok');
    expect(log.slice(3).every((l) => l.startsWith('transfer'))).toBe(true);
    expect(res.snapshot.tags).toMatchObject({ projectId: 'p1', projectName: 'proj', cloud: 'c', region: 'r', schedule: 'nightly', kinds: 'container=1,object=2,server=4' });
    expect(reporter.bytesSeen).toBe(10);
    expect(reporter.events.filter((e) => e.event === 'resource-done').length).toBe(3);
    const manifest = await repo.readDocument<BackupManifest>(res.snapshot.id, 'manifest');
    expect(manifest.skippedKinds).toEqual([{ kind: 'flavor', reason: 'requires admin' }]);
    expect(manifest.services.map((s) => [s.name, s.status])).toEqual([['compute', 'ok'], ['objects', 'ok']]);
  });

  it('writes disk streams against the parent snapshot of the same project', async () => {
    const repo = new MemoryRepo();
    const opts = { session, project: { id: 'p1', name: 'proj' }, repository: repo, modules: [computeModule([])], reporter: new Recorder(), signal: new AbortController().signal };
    const first = await backupProject(opts);
    expect(first.snapshot.parent).toBeUndefined();
    expect(repo.streamOpts.get('server/s-ok')).toEqual({ chunker: 'fixed' });
    const second = await backupProject(opts);
    expect(second.snapshot.parent).toBe(first.snapshot.id);
    expect(repo.streamOpts.get('server/s-ok')).toEqual({ chunker: 'fixed', parentStream: 'server/s-ok' });
  });

  it('an interrupted run writes no snapshot', async () => {
    const repo = new MemoryRepo();
    const controller = new AbortController();
    controller.abort();
    await expect(
      backupProject({ session, project: { id: 'p1', name: 'proj' }, repository: repo, modules: [computeModule([])], reporter: new Recorder(), signal: controller.signal }),
    ).rejects.toMatchObject({ exitCode: 130 });
    expect(repo.snapshots).toEqual([]);
  });
});
