// Pure logic of the tenant backup: selectors, tags, temporary names and liveness, deletion
// order of temporaries, the per-service summary and the resource tree.
import { describe, expect, it } from 'vitest';
import { excludedBy, parseExclude } from '../../src/backup/exclude.js';
import { kindCountsTag, parseUserTags } from '../../src/backup/tags.js';
import { backupIdOfName, newBackupId, ownerIsAlive, temporaryMetadata, temporaryName } from '../../src/backup/temporary-naming.js';
import { BackupTemporaries } from '../../src/backup/temporaries.js';
import { summarise } from '../../src/backup/summary.js';
import { renderTree } from '../../src/backup/render-tree.js';
import { MANIFEST_FORMAT, type BackupManifest } from '../../src/backup/manifest.js';
import type { ResourceRecord } from '../../src/model/resource.js';
import type { Session } from '../../src/openstack/types.js';
import type { TemporaryResource } from '../../services/data-export.js';
import { UsageError } from '../../src/errors.js';

function rec(kind: ResourceRecord['kind'], id: string, name: string, extra: Partial<ResourceRecord> = {}): ResourceRecord {
  return { kind, id, name, fields: {}, refs: [], status: 'ok', ...extra };
}

describe('--exclude KIND:NAME', () => {
  it('matches by name or ID, with * as a wildcard, only within the kind', () => {
    const rules = ['volume:scratch', 'object:demo-container/logs/*', 'server:1234'].map(parseExclude);
    expect(excludedBy(rec('volume', 'v1', 'scratch'), rules)?.pattern).toBe('scratch');
    expect(excludedBy(rec('volume', 'v2', 'scratch-2'), rules)).toBeUndefined();
    expect(excludedBy(rec('object', 'demo-container/logs/a.txt', 'logs/a.txt'), rules)?.kind).toBe('object');
    expect(excludedBy(rec('server', '1234', 'web'), rules)?.pattern).toBe('1234');
    expect(excludedBy(rec('image', 'x', 'scratch'), rules)).toBeUndefined();
  });
  it('treats regex characters literally', () => {
    const [rule] = ['volume:a.b(c)'].map(parseExclude);
    expect(excludedBy(rec('volume', '1', 'a.b(c)'), [rule!])).toBeDefined();
    expect(excludedBy(rec('volume', '1', 'aXb(c)'), [rule!])).toBeUndefined();
  });
  it('rejects a missing kind, an unknown kind or an empty name with a usage error', () => {
    for (const bad of ['scratch', 'disk:scratch', 'volume:', ':x']) expect(() => parseExclude(bad)).toThrow(UsageError);
  });
});

describe('--tag K=V', () => {
  it('parses tags and keeps "=" in values', () => {
    expect(parseUserTags(['schedule=nightly', 'note=a=b'])).toEqual({ schedule: 'nightly', note: 'a=b' });
  });
  it('refuses malformed and reserved keys', () => {
    expect(() => parseUserTags(['nightly'])).toThrow(/KEY=VALUE/);
    expect(() => parseUserTags(['projectId=x'])).toThrow(/set by the backup/);
  });
  it('renders kind counts sorted', () => {
    expect(kindCountsTag({ volume: 2, image: 1 })).toBe('image=1,volume=2');
  });
});

describe('temporary names and owners', () => {
  it('round-trips the backup ID through the name', () => {
    const id = newBackupId(new Date('2026-01-02T03:04:05.678Z'));
    expect(id).toMatch(/^20260102T030405Z-[0-9a-f]{6}$/);
    expect(backupIdOfName(temporaryName(id, 'snap-abc'))).toBe(id);
    expect(backupIdOfName('permafrost-backup-nonsense')).toBeUndefined();
    expect(backupIdOfName('my-volume')).toBeUndefined();
    expect(backupIdOfName(null)).toBeUndefined();
  });
  it('counts the own process as alive and a dead or foreign owner as gone', () => {
    expect(ownerIsAlive(temporaryMetadata('x'))).toBe(true);
    expect(ownerIsAlive(temporaryMetadata('x', 2 ** 22 + 12345))).toBe(false);
    expect(ownerIsAlive(temporaryMetadata('x', process.pid, 'some-other-host'))).toBe(false);
    expect(ownerIsAlive(undefined)).toBe(false);
    expect(ownerIsAlive({ permafrost_host: 'h' })).toBe(false);
  });
});

describe('BackupTemporaries', () => {
  const session = {} as Session;
  it('deletes images, then volumes, then snapshots, and forgets what it deleted', async () => {
    const order: string[] = [];
    const t = new BackupTemporaries(session, 'b', async (_s, r: TemporaryResource) => {
      order.push(r.kind);
    });
    t.track({ kind: 'volume_snapshot', id: 's1', name: 'n' });
    t.track({ kind: 'volume', id: 'v1', name: 'n' });
    t.track({ kind: 'image', id: 'i1', name: 'n' });
    t.track({ kind: 'image', id: 'i2', name: 'n' });
    expect(await t.releaseAll()).toEqual([]);
    expect(order).toEqual(['image', 'image', 'volume', 'volume_snapshot']);
    expect(t.pending()).toEqual([]);
  });
  it('reports what it could not delete and keeps it pending', async () => {
    const t = new BackupTemporaries(session, 'b', async (_s, r) => {
      if (r.id === 'v1') throw new Error('volume busy');
    });
    t.track({ kind: 'volume', id: 'v1', name: 'n' });
    t.track({ kind: 'image', id: 'i1', name: 'n' });
    const failures = await t.releaseAll();
    expect(failures).toEqual([{ resource: { kind: 'volume', id: 'v1', name: 'n' }, error: 'volume busy' }]);
    expect(t.pending().map((p) => p.id)).toEqual(['v1']);
  });
  it('release deletes one tracked temporary at once; unknown ones are ignored', async () => {
    const deleted: string[] = [];
    const t = new BackupTemporaries(session, 'b', async (_s, r) => {
      deleted.push(r.id);
    });
    t.track({ kind: 'image', id: 'i1', name: 'n' });
    await t.release('image', 'i1');
    await t.release('image', 'nope');
    expect(deleted).toEqual(['i1']);
    expect(t.nameFor('snap-1')).toBe('permafrost-backup-b-snap-1');
  });
  it('a release the cloud refuses does not fail the caller: the temporary stays for releaseAll', async () => {
    let refuse = true;
    const t = new BackupTemporaries(session, 'b', async () => {
      if (refuse) throw new Error('snapshot is in status "error_deleting"');
    });
    t.track({ kind: 'volume_snapshot', id: 's1', name: 'n' });
    await expect(t.release('volume_snapshot', 's1')).resolves.toBeUndefined();
    expect(t.pending().map((p) => p.id)).toEqual(['s1']);
    refuse = false;
    expect(await t.releaseAll()).toEqual([]);
    expect(t.pending()).toEqual([]);
  });
});

function manifest(resources: ResourceRecord[]): BackupManifest {
  return {
    format: MANIFEST_FORMAT,
    backupId: '20260101T000000Z-abcdef',
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:01:00Z',
    cloud: 'c',
    region: 'r',
    project: { id: 'p', name: 'proj' },
    actor: { userId: 'u', roles: ['member'] },
    services: [
      { name: 'networks', status: 'ok' },
      { name: 'objects', status: 'ok' },
      { name: 'volumes', status: 'failed', reason: 'boom' },
    ],
    resources,
    skippedKinds: [{ kind: 'role_assignment', reason: 'requires admin' }],
    failedKinds: [],
  };
}

describe('summary and tree', () => {
  const resources = [
    rec('network', 'n1', 'net'),
    rec('subnet', 's1', 'sub', { refs: [{ kind: 'network', id: 'n1', field: 'network_id' }] }),
    rec('container', 'c', 'c'),
    rec('object', 'c/a', 'a', { refs: [{ kind: 'container', id: 'c', field: 'container' }], data: [{ stream: 'object/c/a', size: 10, sha256: 'f'.repeat(64) }] }),
    rec('object', 'c/b', 'b', { status: 'failed', reason: 'etag mismatch', refs: [{ kind: 'container', id: 'c', field: 'container' }] }),
  ];
  const modules = [
    { name: 'networks', kinds: ['network', 'subnet'] as ResourceRecord['kind'][] },
    { name: 'objects', kinds: ['container', 'object'] as ResourceRecord['kind'][] },
    { name: 'volumes', kinds: ['volume'] as ResourceRecord['kind'][] },
  ];
  it('counts per service and lists every failure with its cause', () => {
    const { services, failures } = summarise(manifest(resources), modules);
    expect(services.find((s) => s.service === 'objects')).toMatchObject({ ok: 2, failed: 1, dataStreams: 1, dataBytes: 10 });
    expect(failures).toEqual([
      { kind: 'object', id: 'c/b', name: 'b', reason: 'etag mismatch' },
      { kind: 'service', id: 'volumes', name: 'volumes', reason: 'boom' },
    ]);
  });
  it('nests dependants under their parent and shows status and data', () => {
    const info = { id: 'abc', time: '2026-01-01T00:01:00Z', hostname: 'h', type: 'project', tags: {}, streams: ['object/c/a'], stats: { bytesRead: 0, bytesNew: 0, bytesStored: 0, chunksNew: 0, chunksReused: 0 } };
    const text = renderTree(info, manifest(resources));
    const lines = text.split('\n');
    const net = lines.findIndex((l) => l.includes('network net'));
    expect(lines[net + 1]).toMatch(/^\s+│?\s*└─ subnet sub/);
    expect(text).toContain('data object/c/a 10 B');
    expect(text).toContain('[FAILED: etag mismatch]');
    expect(text).toContain('role_assignment: requires admin');
    expect(text).toContain('5 resources: 4 ok, 0 skipped, 1 failed');
    const onlyNet = renderTree(info, manifest(resources), ['network']);
    expect(onlyNet).not.toContain('subnet sub');
  });
});
