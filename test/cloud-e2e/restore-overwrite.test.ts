// In-place restore with the overwrite policy (issue 5: "In place: into the original project, where
// resources exist: skip (default) or overwrite per policy (server rebuilt from its restored image;
// volume reimaged or replaced and reattached)") against the real local cloud.
//
// The shared `demo` project is read-only, so the suite builds a small project of its own,
// pf-test-overwrite-<random>, as the demo user (a member there, as in demo): a network and subnet,
// two images (A and B, random bytes), a 1 GiB data volume holding known bytes (written through
// the Cinder backend file, as test/cloud/seed-demo.sh does for demo-vol-blank), and a server
// booted from image A with the volume attached. Then:
//
//   1. back it up with permafrost (as that member);
//   2. change it in place without deleting anything: other bytes go into the volume (through its
//      backend file) and the server is rebuilt from image B (its root disk differs);
//   3. `permafrost restore plan … --mode in-place --overwrite`: the server step is an update
//      (rebuild), the volume step an update (replace), the attachment is kept;
//   4. apply: the server is ACTIVE again with its volume attached, it runs from its restored
//      root-disk image, the volume's bytes hash to the backed-up hash (independently computed as
//      well, and read back from the volume's backend file), the fidelity report has no difference
//      but mapped fields, and nothing was created twice (the same server; one volume, the
//      replacement in the old one's place; the same counts of everything, plus the root-disk image).
//
// Why `replace` and not Cinder's reimage for the volume: this cloud's NFS driver (like every
// remotefs driver) writes a reimage into the volume's base file, but once an online snapshot was
// taken and deleted — every backup of an attached volume does that — a standalone qcow2 overlay
// is the active file the server reads, so the reimage succeeds and changes nothing the server
// sees. docs/restore.md, "Overwriting in place", has the details.
//
// The images carry `os_shutdown_timeout=10`: their guests have no OS (they sit in the BIOS) and
// never answer an ACPI shutdown, so every stop and rebuild would otherwise wait Nova's 60 s.
// The project (and everything in it) is removed in afterAll, also when a test fails.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComputeClient } from '../../services/compute/client.js';
import { ImageClient } from '../../services/images/client.js';
import { uploadImage } from '../../services/images/upload-image.js';
import { NetworkClient } from '../../services/networks/client.js';
import { VolumeClient } from '../../services/volumes/client.js';
import type { ResourceRecord } from '../../src/model/resource.js';
import type { Session } from '../../src/openstack/types.js';
import { closeMemberProject, openMemberProject, type MemberProject, backupProject, freshRestoreRepository, inventoryOf, notIdentical, readJson, reportOf, runCli, sparseVolumeDigest, stateFileOf } from './helpers/restore-harness.js';
import { volumeHead, writeIntoVolume } from './helpers/volume-backend-file.js';

const suffix = randomBytes(3).toString('hex');
const PROJECT = `pf-test-overwrite-${suffix}`;
const MINUTE = 60_000;
const MiB = 2 ** 20;
const GiB = 2 ** 30;
/** The default instance's state dir (test/cloud/README.md): Cinder's NFS export holds the volume files. */
const WAIT = { timeoutMs: 10 * MINUTE, intervalMs: 2000 };

/** Known bytes of the volume at the backup: `A` at offset 0, a marker at 600 MiB, zeros elsewhere. */
const DATA_A = Buffer.concat([Buffer.from('PF-OVERWRITE-VOLUME-A\n'), randomBytes(4 * MiB)]);
const MARKER_AT = 600 * MiB;
const MARKER = Buffer.concat([Buffer.from('middle-of-volume-marker\n'), randomBytes(MiB)]);
/** What the volume holds after the backup (the change the restore must undo). */
const DATA_B = Buffer.concat([Buffer.from('PF-OVERWRITE-VOLUME-B\n'), randomBytes(4 * MiB)]);

let project: MemberProject | undefined;
let admin: Session;
let member: Session;
let repo: string;
let dir: string;
let projectId: string;

interface Built {
  imageA: string;
  imageB: string;
  volumeId: string;
  serverId: string;
  networkId: string;
}
let built: Built;

async function makeImage(glance: ImageClient, name: string): Promise<string> {
  const bytes = Buffer.concat([Buffer.from(`${name}\n`), randomBytes(8 * MiB)]);
  const image = await uploadImage(glance, {
    image: { name, disk_format: 'raw', container_format: 'bare', visibility: 'private', os_shutdown_timeout: '10', hw_disk_bus: 'virtio', tags: ['overwrite-test'] },
    size: bytes.length,
    data: async () => Readable.from([bytes]),
  });
  return image.id;
}

/** The project of the suite, built by its member: network, two images, a data volume with known bytes, a server with the volume attached. */
async function build(session: Session): Promise<Built> {
  const neutron = await NetworkClient.open(session);
  const glance = await ImageClient.open(session);
  const cinder = await VolumeClient.open(session);
  const nova = await ComputeClient.open(session);
  const network = await neutron.createNetwork({ name: 'ow-net', description: 'overwrite test network' });
  await neutron.createSubnet({ name: 'ow-subnet', network_id: network.id, ip_version: 4, cidr: '10.77.0.0/24' });
  const [imageA, imageB] = [await makeImage(glance, 'ow-image-a'), await makeImage(glance, 'ow-image-b')];
  const volume = await cinder.createVolume({ size: 1, name: 'ow-data', description: 'data volume of the overwrite test', metadata: { purpose: 'data' } });
  await cinder.waitForVolume(volume.id, ['available'], WAIT);
  await writeIntoVolume(dir, volume.id, [[0, DATA_A], [MARKER_AT, MARKER]]);
  const flavor = (await nova.listFlavors()).find((f) => f.name === 'm1.tiny');
  if (!flavor) throw new Error('no flavor m1.tiny (seeded by test/cloud/seed-demo.sh)');
  const server = await nova.createServer({ name: 'ow-server', flavorRef: flavor.id, imageRef: imageA, networks: [{ uuid: network.id }], metadata: { role: 'overwrite-test' }, tags: ['overwrite'] });
  await nova.waitForServer(server.id, ['ACTIVE'], WAIT);
  await nova.attachVolume(server.id, { volumeId: volume.id });
  await cinder.waitForVolume(volume.id, ['in-use'], WAIT);
  return { imageA, imageB, volumeId: volume.id, serverId: server.id, networkId: network.id };
}

const byKind = (records: ResourceRecord[]) => {
  const counts: Record<string, number> = {};
  for (const r of records) if (r.status === 'ok') counts[r.kind] = (counts[r.kind] ?? 0) + 1;
  return counts;
};

beforeAll(async () => {
  ({ repo, dir } = await freshRestoreRepository('pf-test-overwrite-'));
  project = await openMemberProject(PROJECT, 'permafrost overwrite restore test');
  ({ admin, projectId, member } = project);
  built = await build(member);
}, 20 * MINUTE);

afterAll(async () => {
  await closeMemberProject(project, PROJECT);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 20 * MINUTE);

describe('in-place restore with --overwrite', () => {
  it('backs up, changes the volume bytes and rebuilds the server from another image, restores in place with --overwrite: server rebuilt from its restored root disk, volume replaced and attached in its place, data hashes equal, nothing created twice', async () => {
    const nova = await ComputeClient.open(member);
    const cinder = await VolumeClient.open(member);
    const glance = await ImageClient.open(member);

    // ---- 1. back up (as the member)
    const snapshot = await backupProject(repo, 'devcloud-demo', PROJECT);
    const show = await runCli(['show', snapshot, '--repo', repo, '--json']);
    expect(show.code, show.stderr).toBe(0);
    const manifest = JSON.parse(show.stdout) as { resources: Array<ResourceRecord & { data?: Array<{ stream: string; sha256: string; size: number }> }> };
    const volumeRecord = manifest.resources.find((r) => r.kind === 'volume' && r.id === built.volumeId)!;
    const backedUpVolumeSha = volumeRecord.data!.find((d) => d.stream === `volume/${built.volumeId}`)!.sha256;
    // the backup holds exactly the bytes the test wrote
    expect(backedUpVolumeSha).toBe(sparseVolumeDigest([[0, DATA_A], [MARKER_AT, MARKER]], GiB, backedUpVolumeSha));
    const serverRecord = manifest.resources.find((r) => r.kind === 'server' && r.id === built.serverId)!;
    const backedUpRootSha = serverRecord.data!.find((d) => d.stream === `server/${built.serverId}`)!.sha256;
    expect(backedUpRootSha).toMatch(/^(sha256-b4k:)?[0-9a-f]{64}$/);

    // ---- 2. change it in place (nothing deleted)
    await writeIntoVolume(dir, built.volumeId, [[0, DATA_B]], { nova, id: built.serverId });
    expect((await volumeHead(dir, built.volumeId, DATA_B.length)).equals(DATA_B), 'the volume holds the changed bytes').toBe(true);
    await nova.rebuild(built.serverId, { imageRef: built.imageB });
    // the rebuild's task state shows only after a moment: wait until it is ACTIVE on image B
    const deadline = Date.now() + 10 * MINUTE;
    for (;;) {
      const s = await nova.getServer(built.serverId);
      if (s.status === 'ACTIVE' && (s.image as { id?: string }).id === built.imageB && !s['OS-EXT-STS:task_state']) break;
      if (s.status === 'ERROR') throw new Error(`the rebuild from image B failed: ${JSON.stringify(s.fault)}`);
      if (Date.now() > deadline) throw new Error('the rebuild from image B did not finish in 10 minutes');
      await new Promise((r) => setTimeout(r, 3000));
    }
    const before = await inventoryOf(member);
    const attachedBefore = await nova.listVolumeAttachments(built.serverId);
    expect(attachedBefore.map((a) => a.volumeId)).toEqual([built.volumeId]);
    const deviceBefore = attachedBefore[0]!.device;

    // ---- 3. plan in place with the overwrite policy
    const plan = path.join(dir, 'plan-overwrite.json');
    const planned = await runCli(['restore', 'plan', snapshot, '--repo', repo, '--os-cloud', 'devcloud-demo', '--project', PROJECT, '--mode', 'in-place', '--overwrite', '-o', plan]);
    expect(planned.code, planned.stdout.slice(-3000) + planned.stderr).toBe(0);
    expect(planned.stdout).toContain('existing resources: overwrite');
    const planDoc = readJson(plan);
    expect(planDoc.mode).toBe('in-place');
    expect(planDoc.overwrite).toBe('overwrite');
    const serverStep = planDoc.steps[`server:${built.serverId}`];
    expect(serverStep).toMatchObject({ action: 'update', update: 'rebuild', targetId: built.serverId });
    const volumeStep = planDoc.steps[`volume:${built.volumeId}`];
    expect(volumeStep).toMatchObject({ action: 'update', update: 'replace', targetId: built.volumeId });
    expect(volumeStep.data.bytes).toBe(GiB);
    // the attachment exists: kept, not made a second time
    const attach = Object.values(planDoc.steps as Record<string, any>).filter((s) => s.operation === 'volume-attach');
    expect(attach.map((s) => [s.action, s.params.volume])).toEqual([['skip', built.volumeId]]);
    // nothing of the project is created: everything exists
    const creates = Object.values(planDoc.steps as Record<string, any>).filter((s) => s.action === 'create');
    expect(creates.map((s) => s.id)).toEqual([]);

    // ---- 4. apply
    const applied = await runCli(['restore', 'apply', plan, '--json-events'], { timeoutMs: 30 * MINUTE });
    const report = reportOf(applied);
    expect(report.apply.failed, applied.stderr.slice(-3000) + JSON.stringify(readJson(stateFileOf(plan)).steps, null, 1).slice(0, 6000)).toEqual([]);
    expect(report.apply.blocked).toEqual([]);
    expect(report.fidelity.different, notIdentical(report)).toBe(0);
    expect(report.fidelity.missing).toBe(0);
    expect(report.fidelity.dataFailures).toEqual([]);
    expect(report.fidelity.data.different).toBe(0);
    expect(applied.code, applied.stderr.slice(-3000)).toBe(0);

    // the volume: replaced by a new one (new ID) in the old one's place, the old one deleted
    const state = readJson(stateFileOf(plan));
    const newVolumeId = String(state.steps[`volume:${built.volumeId}`].targetId);
    expect(newVolumeId).not.toBe(built.volumeId);
    expect(await cinder.findVolume(built.volumeId)).toBeUndefined();
    // the server: same one, ACTIVE, its volume attached (same device), running from its restored root disk
    const server = await nova.getServer(built.serverId);
    expect(server.status).toBe('ACTIVE');
    expect((await nova.listVolumeAttachments(built.serverId)).map((a) => [a.volumeId, a.device])).toEqual([[newVolumeId, deviceBefore]]);
    const volume = await cinder.getVolume(newVolumeId);
    expect(volume.name).toBe('ow-data');
    expect(volume.status).toBe('in-use');
    expect(volume.attachments.map((a) => a.server_id)).toEqual([built.serverId]);
    const bootImage = (server.image as { id: string }).id;
    expect(bootImage).not.toBe(built.imageB);
    expect(bootImage).not.toBe(built.imageA);
    const rootImage = await glance.getImage(bootImage);
    expect(rootImage.name).toBe('ow-server-root-disk');
    expect(rootImage.status).toBe('active');

    // the fidelity report: server and volume overwritten, their data hashes equal the backed-up ones
    const fidelityOf = (kind: string, id: string) => (report.fidelity.resources as any[]).find((r) => r.kind === kind && r.targetId === id);
    const serverFidelity = fidelityOf('server', built.serverId);
    expect(serverFidelity.verdict, JSON.stringify(serverFidelity)).toBe('identical');
    expect(serverFidelity.mapped.map((m: any) => m.path)).toContain('image.id');
    expect(serverFidelity.data).toEqual([expect.objectContaining({ stream: `server/${built.serverId}`, verdict: 'equal', expected: backedUpRootSha })]);
    const volumeFidelity = fidelityOf('volume', newVolumeId);
    expect(volumeFidelity.verdict, JSON.stringify(volumeFidelity)).toBe('identical');
    expect(volumeFidelity.data).toEqual([expect.objectContaining({ stream: `volume/${built.volumeId}`, verdict: 'equal', expected: backedUpVolumeSha, actual: backedUpVolumeSha })]);
    // …and the changed bytes are gone from the bytes the server sees (its volume's active file)
    expect((await volumeHead(dir, volume.id, DATA_A.length)).equals(DATA_A)).toBe(true);

    // nothing created twice: the same resources (IDs) as before — the volume's replacement in its
    // place — plus the server's root-disk image
    const after = await inventoryOf(member);
    const countsBefore = byKind(before);
    const countsAfter = byKind(after);
    expect(countsAfter).toEqual({ ...countsBefore, image: (countsBefore.image ?? 0) + 1 });
    const ids = (records: ResourceRecord[]) => new Set(records.filter((r) => r.status === 'ok').map((r) => `${r.kind}:${r.id === built.volumeId ? newVolumeId : r.id}`));
    const idsAfter = ids(after);
    for (const id of ids(before)) expect(idsAfter.has(id), id).toBe(true);
    const created = Object.entries(state.steps as Record<string, { created?: boolean }>).filter(([, st]) => st.created).map(([id]) => id);
    expect(created).toEqual([]);
    // no temporary image (the reimage's upload) is left
    expect((await glance.listOwnedImages(projectId)).map((i) => i.name ?? '').filter((n) => n.startsWith('permafrost-'))).toEqual([]);

    // a second apply of the same plan has nothing left to do
    const again = await runCli(['restore', 'apply', plan, '--json-events', '--no-data-check'], { timeoutMs: 20 * MINUTE });
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    expect(byKind(await inventoryOf(member))).toEqual(countsAfter);
    expect((await nova.getServer(built.serverId)).status).toBe('ACTIVE');
  }, 60 * MINUTE);
});
