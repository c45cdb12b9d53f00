// In-place overwrite of a volume (`replace`) killed with SIGKILL in the middle, then resumed
// (issue 5: "a restore killed at any point is finished by running apply again") against the real
// local cloud. restore-overwrite.test.ts covers the uninterrupted path; this suite kills
// `restore apply` at each point of the replace where the cloud is half-way:
//
//   1. the new volume exists (being filled from the temporary image), nothing else touched yet;
//   2. the server is being stopped (task state powering-off) or stopped, the old volume attached;
//   3. the old volume is detaching or detached, the new one not attached;
//   4. the new volume is attaching or attached, the server still stopped;
//   5. the server is being started (or started), the old volume not yet deleted.
//
// Each resumed run is killed at the next point (the test polls the cloud, as the member, every
// 250 ms and kills as soon as the point is seen); a point a run went past before the poll saw it
// is logged, not failed (the next one is then the kill point). The last run is not killed. Then:
// the server is ACTIVE, exactly one volume is attached at the original device and it holds the
// backed-up bytes (hash by the fidelity report, and the head read from its backend file), the old
// volume is gone, no volume, image or temporary image exists twice, and the state file is complete.
//
// The server's own step is set to `skip` in the plan (only the volume is overwritten): nothing but
// the volume's replace may then start the server again — the server step's finish (which starts a
// server that ran at the backup) does not run for a skipped server.
//
// Own project pf-test-owresume-<random> as the demo user (member); removed in afterAll, also when
// a test fails. The image carries os_shutdown_timeout=10 (its guest has no OS and never answers an
// ACPI shutdown): every stop takes ~10 s, which is the window of kill point 2.
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComputeClient, type Server } from '../../services/compute/client.js';
import { ImageClient } from '../../services/images/client.js';
import { uploadImage } from '../../services/images/upload-image.js';
import { NetworkClient } from '../../services/networks/client.js';
import { VolumeClient, type Volume } from '../../services/volumes/client.js';
import type { ResourceRecord } from '../../src/model/resource.js';
import type { Session } from '../../src/openstack/types.js';
import { closeMemberProject, openMemberProject, type MemberProject, backupProject, freshRestoreRepository, inventoryOf, notIdentical, readJson, reportOf, runCli, sparseVolumeDigest, stateFileOf } from './helpers/restore-harness.js';
import { volumeHead, writeIntoVolume } from './helpers/volume-backend-file.js';

const suffix = randomBytes(3).toString('hex');
const PROJECT = `pf-test-owresume-${suffix}`;
const MINUTE = 60_000;
const MiB = 2 ** 20;
const GiB = 2 ** 30;
const WAIT = { timeoutMs: 10 * MINUTE, intervalMs: 2000 };

const DATA_A = Buffer.concat([Buffer.from('PF-OWRESUME-VOLUME-A\n'), randomBytes(4 * MiB)]);
const MARKER_AT = 600 * MiB;
const MARKER = Buffer.concat([Buffer.from('middle-of-volume-marker\n'), randomBytes(MiB)]);
const DATA_B = Buffer.concat([Buffer.from('PF-OWRESUME-VOLUME-B\n'), randomBytes(4 * MiB)]);

let project: MemberProject | undefined;
let admin: Session;
let member: Session;
let repo: string;
let dir: string;
let projectId: string;
let built: { image: string; volumeId: string; serverId: string };

/** Network, one image, a 1 GiB volume with known bytes, a server booted from the image with the volume attached. */
async function build(session: Session): Promise<typeof built> {
  const neutron = await NetworkClient.open(session);
  const glance = await ImageClient.open(session);
  const cinder = await VolumeClient.open(session);
  const nova = await ComputeClient.open(session);
  const network = await neutron.createNetwork({ name: 'owr-net' });
  await neutron.createSubnet({ name: 'owr-subnet', network_id: network.id, ip_version: 4, cidr: '10.78.0.0/24' });
  const bytes = Buffer.concat([Buffer.from('owr-image\n'), randomBytes(8 * MiB)]);
  const image = (
    await uploadImage(glance, {
      image: { name: 'owr-image', disk_format: 'raw', container_format: 'bare', visibility: 'private', os_shutdown_timeout: '10', hw_disk_bus: 'virtio' },
      size: bytes.length,
      data: async () => Readable.from([bytes]),
    })
  ).id;
  const volume = await cinder.createVolume({ size: 1, name: 'owr-data', metadata: { purpose: 'data' } });
  await cinder.waitForVolume(volume.id, ['available'], WAIT);
  await writeIntoVolume(dir, volume.id, [[0, DATA_A], [MARKER_AT, MARKER]]);
  const flavor = (await nova.listFlavors()).find((f) => f.name === 'm1.tiny');
  if (!flavor) throw new Error('no flavor m1.tiny (seeded by test/cloud/seed-demo.sh)');
  const server = await nova.createServer({ name: 'owr-server', flavorRef: flavor.id, imageRef: image, networks: [{ uuid: network.id }] });
  await nova.waitForServer(server.id, ['ACTIVE'], WAIT);
  await nova.attachVolume(server.id, { volumeId: volume.id });
  await cinder.waitForVolume(volume.id, ['in-use'], WAIT);
  return { image, volumeId: volume.id, serverId: server.id };
}

/** What the test sees of the replace at one instant. */
interface Seen {
  old?: Volume;
  fresh: Volume[];
  server: Server;
}

const taskState = (s: Server) => s['OS-EXT-STS:task_state'] ?? null;
const ATTACHING = new Set(['reserved', 'attaching', 'in-use']);

/** The points of a replace where a kill leaves the cloud half-way, in the order a run reaches them. */
const KILL_POINTS: Array<{ name: string; reached: (s: Seen) => boolean }> = [
  { name: 'new volume created (being filled), nothing else touched', reached: (s) => s.fresh.length > 0 && s.old?.status === 'in-use' && s.server.status === 'ACTIVE' && !taskState(s.server) },
  { name: 'server being stopped, old volume attached', reached: (s) => s.old?.status === 'in-use' && (taskState(s.server) === 'powering-off' || s.server.status === 'SHUTOFF') },
  { name: 'old volume detaching or detached, new one not attached', reached: (s) => s.old?.status === 'detaching' || s.old?.status === 'available' },
  { name: 'new volume attaching or attached, server stopped', reached: (s) => s.fresh.some((v) => ATTACHING.has(v.status)) && s.server.status === 'SHUTOFF' && !taskState(s.server) },
  { name: 'server being started, old volume not yet deleted', reached: (s) => s.old !== undefined && s.fresh.some((v) => v.status === 'in-use') && (taskState(s.server) === 'powering-on' || s.server.status === 'ACTIVE') },
];

async function look(nova: ComputeClient, cinder: VolumeClient): Promise<Seen> {
  const [old, all, server] = await Promise.all([cinder.findVolume(built.volumeId), cinder.listVolumes(), nova.getServer(built.serverId)]);
  return { ...(old ? { old } : {}), fresh: all.filter((v) => v.id !== built.volumeId), server };
}

const describeSeen = (s: Seen) => `old ${s.old?.status ?? 'gone'}; new ${s.fresh.map((v) => v.status).join(',') || 'none'}; server ${s.server.status}/${taskState(s.server) ?? '-'}`;

/** One `restore apply`, killed (SIGKILL) as soon as `point` is seen in the cloud; resolves with what happened. */
async function applyKilledAt(plan: string, point: (typeof KILL_POINTS)[number], nova: ComputeClient, cinder: VolumeClient): Promise<{ killed: boolean; seen?: string; code: number; stdout: string; stderr: string }> {
  let child: ChildProcess | undefined;
  let exited = false;
  let seen: string | undefined;
  const applying = runCli(['restore', 'apply', plan, '--json-events', '--no-data-check'], { timeoutMs: 20 * MINUTE, onStdoutLine: (_line, c) => (child = c) }).finally(() => (exited = true));
  while (!exited) {
    if (child) {
      const s = await look(nova, cinder).catch(() => undefined);
      if (s && !exited && point.reached(s)) {
        child.kill('SIGKILL');
        seen = describeSeen(s);
        break;
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const done = await applying;
  return { killed: seen !== undefined && done.code === 137, ...(seen ? { seen } : {}), ...done };
}

beforeAll(async () => {
  ({ repo, dir } = await freshRestoreRepository('pf-test-owresume-'));
  project = await openMemberProject(PROJECT, 'permafrost overwrite resume test');
  ({ admin, projectId, member } = project);
  built = await build(member);
}, 20 * MINUTE);

afterAll(async () => {
  await closeMemberProject(project, PROJECT);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 20 * MINUTE);

describe('in-place overwrite of a volume killed in the middle and resumed', () => {
  it('restore apply SIGKILLed at each point of a volume replace, resumed each time: server ACTIVE, one volume at the original device with the backed-up bytes, old volume gone, nothing twice, state complete', async () => {
    const nova = await ComputeClient.open(member);
    const cinder = await VolumeClient.open(member);
    const glance = await ImageClient.open(member);

    // ---- back up, then change the volume's bytes
    const snapshot = await backupProject(repo, 'devcloud-demo', PROJECT);
    const show = await runCli(['show', snapshot, '--repo', repo, '--json']);
    expect(show.code, show.stderr).toBe(0);
    const manifest = JSON.parse(show.stdout) as { resources: Array<ResourceRecord & { data?: Array<{ stream: string; sha256: string }> }> };
    const backedUpSha = manifest.resources.find((r) => r.kind === 'volume' && r.id === built.volumeId)!.data!.find((d) => d.stream === `volume/${built.volumeId}`)!.sha256;
    // the backup holds exactly the bytes the test wrote (digest computed here, in the manifest's algorithm)
    expect(backedUpSha).toBe(sparseVolumeDigest([[0, DATA_A], [MARKER_AT, MARKER]], GiB, backedUpSha));
    await writeIntoVolume(dir, built.volumeId, [[0, DATA_B]], { nova, id: built.serverId });
    expect((await volumeHead(dir, built.volumeId, DATA_B.length)).equals(DATA_B), 'the volume holds the changed bytes').toBe(true);
    const attachedBefore = await nova.listVolumeAttachments(built.serverId);
    expect(attachedBefore.map((a) => a.volumeId)).toEqual([built.volumeId]);
    const deviceBefore = attachedBefore[0]!.device;
    const before = await inventoryOf(member);
    const imagesBefore = (await glance.listOwnedImages(projectId)).map((i) => i.id).sort();

    // ---- plan: overwrite in place, only the volume (the server's rebuild left out)
    const plan = path.join(dir, 'plan-owresume.json');
    const planned = await runCli(['restore', 'plan', snapshot, '--repo', repo, '--os-cloud', 'devcloud-demo', '--project', PROJECT, '--mode', 'in-place', '--overwrite', '-o', plan]);
    expect(planned.code, planned.stdout.slice(-3000) + planned.stderr).toBe(0);
    const planDoc = readJson(plan);
    expect(planDoc.steps[`volume:${built.volumeId}`]).toMatchObject({ action: 'update', update: 'replace', targetId: built.volumeId });
    const serverStep = planDoc.steps[`server:${built.serverId}`];
    serverStep.action = 'skip';
    delete serverStep.update;
    writeFileSync(plan, `${JSON.stringify(planDoc, null, 2)}\n`);

    // ---- apply, killed at each point in turn; each run resumes the last one
    const log: string[] = [];
    let kills = 0;
    for (const point of KILL_POINTS) {
      const r = await applyKilledAt(plan, point, nova, cinder);
      if (!r.killed) {
        log.push(`${point.name}: not seen (the run ended with exit ${r.code})`);
        const steps = readJson(stateFileOf(plan)).steps as Record<string, { status: string; error?: string }>;
        const bad = Object.entries(steps).filter(([, st]) => st.status !== 'done').map(([id, st]) => `${id}: ${st.status} ${st.error ?? ''}`);
        expect(r.code, `${log.join('\n')}\n${bad.join('\n')}\n${r.stderr.slice(-2000)}`).toBe(0);
        break;
      }
      kills++;
      const after = await look(nova, cinder);
      log.push(`${point.name}: killed (seen: ${r.seen}; after the kill: ${describeSeen(after)})`);
      console.log(log.at(-1));
      // never torn, never more than one replacement
      expect(readJson(stateFileOf(plan)).restoreId).toBe(planDoc.id);
      expect(after.fresh.length, describeSeen(after)).toBeLessThanOrEqual(1);
    }
    console.log(`kill points:\n  ${log.join('\n  ')}`);
    // the first two points are seconds long: they are always hit
    expect(kills, log.join('\n')).toBeGreaterThanOrEqual(2);

    // ---- the last run (not killed), with the data check
    const applied = await runCli(['restore', 'apply', plan, '--json-events'], { timeoutMs: 30 * MINUTE });
    const report = reportOf(applied);
    const state = readJson(stateFileOf(plan));
    expect(report.apply.failed, applied.stderr.slice(-3000) + JSON.stringify(state.steps, null, 1).slice(0, 6000)).toEqual([]);
    expect(report.apply.blocked).toEqual([]);
    expect(report.fidelity.different, notIdentical(report)).toBe(0);
    expect(report.fidelity.missing).toBe(0);
    expect(report.fidelity.data.different).toBe(0);
    expect(applied.code, applied.stderr.slice(-3000)).toBe(0);

    // the state file is complete: every step done, nothing auxiliary left, the replacement recorded
    expect(state.finishedAt).toBeTruthy();
    for (const [id, st] of Object.entries(state.steps as Record<string, { status: string; auxiliary?: unknown[] }>)) {
      expect(st.status, id).toBe('done');
      expect(st.auxiliary ?? [], id).toEqual([]);
    }
    const newVolumeId = String(state.steps[`volume:${built.volumeId}`].targetId);
    expect(newVolumeId).not.toBe(built.volumeId);
    expect(state.idMap.volume?.[built.volumeId]?.id).toBe(newVolumeId);

    // the server runs, exactly one volume attached at the original device: the replacement
    const server = await nova.getServer(built.serverId);
    expect(server.status, log.join('\n')).toBe('ACTIVE');
    expect((await nova.listVolumeAttachments(built.serverId)).map((a) => [a.volumeId, a.device])).toEqual([[newVolumeId, deviceBefore]]);
    // the old volume is gone; one volume in the project, no leftover restore bookkeeping on it
    expect(await cinder.findVolume(built.volumeId)).toBeUndefined();
    const volumes = await cinder.listVolumes();
    expect(volumes.map((v) => [v.id, v.status])).toEqual([[newVolumeId, 'in-use']]);
    expect(volumes[0]!.name).toBe('owr-data');
    expect(Object.keys(volumes[0]!.metadata ?? {}).filter((k) => k.startsWith('permafrost_') && k !== 'permafrost_restore_id' && k !== 'permafrost_source_id')).toEqual([]);
    // the backed-up bytes: by the fidelity report's hash of what Cinder serves, and in the file the server reads
    const volumeFidelity = (report.fidelity.resources as any[]).find((r) => r.kind === 'volume' && r.targetId === newVolumeId);
    expect(volumeFidelity.data).toEqual([expect.objectContaining({ stream: `volume/${built.volumeId}`, verdict: 'equal', expected: backedUpSha, actual: backedUpSha })]);
    expect((await volumeHead(dir, newVolumeId, DATA_A.length)).equals(DATA_A)).toBe(true);

    // nothing twice: the same resources as before (the volume by its replacement), no image added, no temporary image left
    const after = await inventoryOf(member);
    const ids = (records: ResourceRecord[], swap = false) => records.filter((r) => r.status === 'ok').map((r) => `${r.kind}:${swap && r.id === built.volumeId ? newVolumeId : r.id}`).sort();
    expect(ids(after)).toEqual(ids(before, true));
    expect((await glance.listOwnedImages(projectId)).map((i) => i.id).sort()).toEqual(imagesBefore);
    const created = Object.entries(state.steps as Record<string, { created?: boolean }>).filter(([, st]) => st.created).map(([id]) => id);
    expect(created).toEqual([]);
  }, 60 * MINUTE);
});
