// Tenant backup of the seeded demo project as its member user, against the real local cloud:
// every seeded resource is in the snapshot with fields and references, every byte of the
// image, both volumes, both server root disks and every object is in the repository exactly as
// the cloud serves it, a second backup adds < 1 % of the first's stored bytes, the snapshots
// list shows the project snapshots, and the repository passes `repo check`.
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { osJson, permafrost } from './helpers/openstack-cli.js';
import { DEMO_CLOUD, DEMO_SEEDED, ENV, EXCLUDE_OTHERS, SEED_STATE, backup, backupIdsOf, demoBackup, fileDigestLike, findOne, leftoverTemporaries, restoreFile, seedChecksum, sha256, sha256File, show, swiftAccess, swiftGet, type BackupRun, type ManifestRecord, type ShowJson } from './helpers/backup.js';

const CLOUD = DEMO_CLOUD;
const LISTED: Array<[string, string[]]> = [
  ['server', ['server', 'list']],
  ['volume', ['volume', 'list']],
  ['volume_snapshot', ['volume', 'snapshot', 'list']],
  ['router', ['router', 'list']],
  ['floating_ip', ['floating', 'ip', 'list']],
  ['port', ['port', 'list']],
  ['security_group', ['security', 'group', 'list']],
  ['security_group_rule', ['security', 'group', 'rule', 'list']],
];
let listedBefore: Map<string, Map<string, string>>;
let repo: string;
let work: string;
let first: BackupRun;
let snap: ShowJson;

const byName = (kind: string, name: string): ManifestRecord => findOne(snap, kind, name);

function stream(record: ManifestRecord, prefix: string): { stream: string; size: number; sha256: string; cloudChecksum?: string } {
  const d = (record.data ?? []).find((x) => x.stream.startsWith(prefix));
  expect(d, `${record.kind} ${record.name} has a ${prefix} stream`).toBeDefined();
  return d!;
}

/** ID → name of what the openstack CLI lists for the project, per kind. */
async function listProject(): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  for (const [kind, args] of LISTED) {
    const rows = await osJson(CLOUD, args);
    out.set(kind, new Map(rows.map((r) => [String(r.ID), String(r.Name ?? '')])));
  }
  return out;
}

describe('permafrost backup: the seeded demo project as its member', () => {
  beforeAll(async () => {
    listedBefore = await listProject();
    ({ repo, work, run: first, snap } = await demoBackup('pf-test-backup-demo', ['--tag', 'purpose=e2e']));
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('exits 0, streams JSON events and reports every service with byte figures', () => {
    const kinds = new Set(first.events.map((e) => e.event));
    for (const k of ['project-start', 'inventory', 'data-plan', 'resource-done', 'temporaries', 'project-done', 'report']) expect(kinds).toContain(k);
    const report = first.report!.projects[0]!;
    expect(report.status).toBe('ok');
    expect(report.project.name).toBe('demo');
    expect(report.services.map((s) => s.service).sort()).toEqual(['compute', 'identity', 'images', 'networks', 'objects', 'volumes']);
    expect(report.failures).toEqual([]);
    // two 1 GiB volumes, the image, two root disks, the objects
    expect(report.stats!.bytesRead).toBeGreaterThan(2 * 2 ** 30);
    expect(report.stats!.bytesStored).toBeGreaterThan(0);
    expect(snap.snapshot.tags).toMatchObject({ projectName: 'demo', projectId: snap.project.id, cloud: CLOUD, region: 'RegionOne', purpose: 'e2e' });
  });

  it('holds every seeded resource with its fields and references', async () => {
    for (const [kind, name] of DEMO_SEEDED) expect(byName(kind, name).status).toBe('ok');

    // agreement by ID with what the openstack CLI lists for the project: everything that existed
    // before and after the backup (other suites come and go meanwhile) is in the snapshot
    const listedAfter = await listProject();
    for (const [kind] of LISTED) {
      const inSnapshot = new Set(snap.resources.filter((r) => r.kind === kind).map((r) => r.id));
      const stable = [...listedBefore.get(kind)!].filter(([id, name]) => listedAfter.get(kind)!.has(id) && !name.startsWith('pf-test-'));
      expect(stable.length, `${kind}s listed by the openstack CLI`).toBeGreaterThan(0);
      for (const [id, name] of stable) expect(inSnapshot.has(id), `${kind} ${name} (${id}) in the snapshot`).toBe(true);
    }

    // fields a restore needs
    const server = byName('server', 'demo-server');
    expect(server.fields.metadata).toMatchObject({ role: 'web', owner: 'demo' });
    expect(server.fields.tags).toEqual(expect.arrayContaining(['backup', 'demo']));
    expect(server.fields.key_name).toBe('demo-key');
    const image = byName('image', 'demo-image');
    expect(image.fields).toMatchObject({ disk_format: 'raw', os_distro: 'devcloud', backup_test: 'yes' });
    expect(image.fields.tags).toEqual(expect.arrayContaining(['demo', 'seeded']));
    expect(byName('volume', 'demo-vol-blank').fields.metadata).toMatchObject({ purpose: 'data' });
    expect(byName('container', 'demo-versioned').fields).toBeDefined();
    const report = byName('object', 'report.csv.gz');
    expect(JSON.stringify(report.fields)).toContain('gzip');

    // references, by old ID
    const refTo = (r: ManifestRecord, kind: string, id: string) => r.refs.some((x) => x.kind === kind && x.id === id);
    expect(refTo(server, 'image', image.id)).toBe(true);
    expect(refTo(server, 'security_group', byName('security_group', 'demo-sg').id) || server.refs.some((x) => x.kind === 'security_group')).toBe(true);
    expect(refTo(byName('server', 'demo-server-ud'), 'server_group', byName('server_group', 'demo-group-aa').id)).toBe(true);
    const port = byName('port', 'demo-port-extra');
    expect(refTo(port, 'network', byName('network', 'demo-net').id)).toBe(true);
    expect(refTo(port, 'subnet', byName('subnet', 'demo-subnet').id)).toBe(true);
    expect(refTo(byName('subnet', 'demo-subnet-pool'), 'subnet_pool', byName('subnet_pool', 'demo-pool').id)).toBe(true);
    expect(refTo(byName('volume_snapshot', 'demo-vol-blank-snap'), 'volume', byName('volume', 'demo-vol-blank').id)).toBe(true);
    expect(refTo(byName('object', 'blob.bin'), 'container', 'demo-container') || byName('object', 'blob.bin').refs.some((x) => x.kind === 'container')).toBe(true);

    // large objects keep what they are
    expect(byName('object', 'large-slo.bin').fields.largeObject).toMatchObject({ type: 'slo' });
    expect(byName('object', 'large-dlo.bin').fields.largeObject).toMatchObject({ type: 'dlo', prefix: 'demo-segments/dlo/seg-' });

    // the human-readable tree names the same resources
    const tree = await permafrost(['show', snap.snapshot.id, '--repo', repo], ENV);
    expect(tree.code).toBe(0);
    for (const name of ['demo-net', 'demo-sg', 'demo-vol-blank', 'demo-server', 'large-slo.bin', 'ünïcødé/日本語 ファイル.txt']) expect(tree.stdout).toContain(name);
    const volumesOnly = await show(repo, snap.snapshot.id, ['--kind', 'volume']);
    expect(new Set(volumesOnly.resources.map((r) => r.kind))).toEqual(new Set(['volume']));
  });

  it('holds the image and both volumes byte-identical to what the cloud serves', async () => {
    const seed = await readFile(`${SEED_STATE}/manifest.txt`, 'utf8');
    const image = byName('image', 'demo-image');
    const imgStream = stream(image, 'image/');
    const imageFile = path.join(work, 'image.raw');
    expect(await restoreFile(repo, snap.snapshot.id, `image/${image.id}`, imageFile)).toBe(seedChecksum(seed, 'image', 'demo-image', 'sha256'));
    // the manifest records the fixed-chunker stream's block-tree digest of those same bytes
    expect(await fileDigestLike(imageFile, imgStream.sha256)).toBe(imgStream.sha256);
    expect(imgStream.cloudChecksum).toBe(`md5:${image.fields.checksum}`);
    await rm(imageFile);

    const blank = byName('volume', 'demo-vol-blank');
    const blankFile = path.join(work, 'blank.raw');
    const blankStream = stream(blank, 'volume/');
    expect(await restoreFile(repo, snap.snapshot.id, `volume/${blank.id}`, blankFile, blankStream.sha256)).toBe(blankStream.sha256);
    expect((await stat(blankFile)).size).toBe(2 ** 30);
    expect(await sha256File(blankFile, { start: 0, end: 8 * 2 ** 20 - 1 })).toBe(seedChecksum(seed, 'volume', 'demo-vol-blank', 'first8MiB-sha256'));
    const marker = await readFile(blankFile).then((b) => b.subarray(512 * 2 ** 20, 512 * 2 ** 20 + 24).toString());
    expect(marker).toBe('middle-of-volume-marker\n');
    await rm(blankFile);

    const fromImage = byName('volume', 'demo-vol-from-image');
    const fromImageFile = path.join(work, 'from-image.raw');
    expect(await restoreFile(repo, snap.snapshot.id, `volume/${fromImage.id}`, fromImageFile, stream(fromImage, 'volume/').sha256)).toBe(stream(fromImage, 'volume/').sha256);
    const imageSize = Number(seedChecksum(seed, 'image', 'demo-image', 'size'));
    expect(await sha256File(fromImageFile, { start: 0, end: imageSize - 1 })).toBe(seedChecksum(seed, 'image', 'demo-image', 'sha256'));
    const tail = await readFile(fromImageFile).then((b) => b.subarray(imageSize));
    expect(tail.every((x) => x === 0)).toBe(true);
    await rm(fromImageFile);
  });

  it("holds both servers' root disks as Glance served their snapshot images", async () => {
    for (const name of ['demo-server', 'demo-server-ud']) {
      const server = byName('server', name);
      const s = stream(server, 'server/');
      expect(s.stream).toBe(`server/${server.id}`);
      const file = path.join(work, `${name}.disk`);
      expect(await restoreFile(repo, snap.snapshot.id, s.stream, file, s.sha256)).toBe(s.sha256);
      expect((await stat(file)).size).toBe(s.size);
      // the md5 Glance published for the temporary snapshot image, checked during the backup
      expect(s.cloudChecksum).toMatch(/^md5:[0-9a-f]{32}$/);
      await rm(file);
    }
  });

  it('holds every object byte-identical to what Swift serves (manifests as manifests)', async () => {
    const access = await swiftAccess(CLOUD);
    const objects = snap.resources.filter((r) => r.kind === 'object');
    expect(objects.length).toBeGreaterThanOrEqual(14);
    for (const obj of objects) {
      const container = String(obj.fields.container);
      const name = String(obj.fields.name);
      const s = stream(obj, 'object/');
      expect(s.stream).toBe(`object/${container}/${name}`);
      const served = await swiftGet(access, container, name);
      const file = path.join(work, 'object.bin');
      expect(await restoreFile(repo, snap.snapshot.id, s.stream, file), `${container}/${name}`).toBe(sha256(served));
      expect(s.size).toBe(served.length);
      await rm(file);
    }
    // the large objects' content = their segments' data, in order
    const extra = await readFile(`${SEED_STATE}/extra-manifest.txt`, 'utf8');
    const segmentsOf = async (prefix: string) => {
      const segs = objects.filter((o) => o.fields.container === 'demo-segments' && String(o.fields.name).startsWith(prefix)).sort((a, b) => String(a.fields.name).localeCompare(String(b.fields.name)));
      const parts: Buffer[] = [];
      for (const seg of segs) {
        const file = path.join(work, 'seg.bin');
        await restoreFile(repo, snap.snapshot.id, stream(seg, 'object/').stream, file);
        parts.push(await readFile(file));
        await rm(file);
      }
      return sha256(Buffer.concat(parts));
    };
    expect(await segmentsOf('slo/')).toBe(seedChecksum(extra, 'object', 'demo-container/large-slo.bin', 'sha256'));
    expect(await segmentsOf('dlo/')).toBe(seedChecksum(extra, 'object', 'demo-container/large-dlo.bin', 'sha256'));
    expect(sha256(await swiftGet(access, 'demo-container', 'large-slo.bin', false))).toBe(seedChecksum(extra, 'object', 'demo-container/large-slo.bin', 'sha256'));
  });

  it('leaves no temporary resource behind', async () => {
    expect(await leftoverTemporaries(CLOUD, backupIdsOf(first.stdout))).toEqual([]);
  });

  it('a second backup right after stores < 1 % of the first one, as a child of the first', async () => {
    const second = await backup(repo, ['--os-cloud', CLOUD, ...EXCLUDE_OTHERS]);
    expect(second.code, second.stderr + JSON.stringify(second.report?.projects[0]?.failures)).toBe(0);
    const a = first.report!.projects[0]!.stats!;
    const b = second.report!.projects[0]!.stats!;
    expect(b.bytesRead).toBeGreaterThan(2 * 2 ** 30);
    expect(b.bytesStored / a.bytesStored).toBeLessThan(0.01);
    const info = await show(repo, second.report!.projects[0]!.snapshot!);
    expect(info.snapshot.parent).toBe(snap.snapshot.id);
    console.log(`first backup: read ${a.bytesRead}, new ${a.bytesNew}, stored ${a.bytesStored}; second: read ${b.bytesRead}, new ${b.bytesNew}, stored ${b.bytesStored} (${((100 * b.bytesStored) / a.bytesStored).toFixed(3)} %)`);

    const list = await permafrost(['snapshots', '--repo', repo, '--json'], ENV);
    expect(list.code).toBe(0);
    const snaps = JSON.parse(list.stdout) as Array<{ id: string; type: string; tags: Record<string, string> }>;
    expect(snaps.filter((s) => s.type === 'project' && s.tags.projectName === 'demo')).toHaveLength(2);
    const text = await permafrost(['snapshots', '--repo', repo], ENV);
    expect(text.stdout).toContain('projectName=demo');
  });

  it('passes repo check', async () => {
    const check = await permafrost(['repo', 'check', '--repo', repo], ENV);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });
});
