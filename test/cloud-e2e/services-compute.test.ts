// ComputeClient against the real Nova of the local cloud: a server's life cycle (create with
// tags/metadata/keypair/group, interfaces, volume attach/detach, lock, pause, stop/start,
// createImage, rebuild, delete), keypairs, server groups, flavors (admin: private flavor with
// extra specs and access), paged listings; microversion negotiated up to 2.93.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComputeClient, type Keypair, type ServerGroup } from '../../services/compute/client.js';
import { ImageClient } from '../../services/images/client.js';
import { NetworkClient } from '../../services/networks/client.js';
import { VolumeClient, compareMicroversions } from '../../services/volumes/client.js';
import type { Session } from '../../src/openstack/types.js';
import { ADMIN, DEMO, open, sshPublicKey } from './helpers/access.js';
import { Cleanup, svcName } from './helpers/services.js';

const WAIT = { timeoutMs: 5 * 60_000, intervalMs: 2000 };

describe('ComputeClient (Nova)', () => {
  let demo: Session;
  let admin: Session;
  let nova: ComputeClient;
  let serverId: string;
  let imageId: string;
  let group: ServerGroup;
  const keypairs: Keypair[] = [];
  const cleanup = new Cleanup();

  beforeAll(async () => {
    [demo, admin] = await Promise.all([open(DEMO), open(ADMIN)]);
    nova = await ComputeClient.open(demo, 1);
    const glance = await ImageClient.open(demo);
    imageId = (await glance.listImages({ name: 'demo-image' }))[0]!.id;
  });

  afterAll(async () => {
    expect(await cleanup.run()).toEqual([]);
    await Promise.all([demo.close(), admin.close()]);
  });

  it('negotiates a compute microversion with tags, descriptions and attachment IDs (≥ 2.89)', () => {
    expect(compareMicroversions(nova.http.microversion!, '2.89')).toBeGreaterThanOrEqual(0);
  });

  it('imports keypairs and lists them with pages smaller than the count', async () => {
    for (let i = 0; i < 3; i++) {
      const name = svcName(`key${i}`);
      cleanup.add(`keypair ${name}`, () => nova.deleteKeypair(name));
      keypairs.push(await nova.importKeypair({ name, public_key: sshPublicKey(name) }));
    }
    const listed = await nova.listKeypairs(); // page size 1
    expect(listed.map((k) => k.name)).toEqual(expect.arrayContaining([...keypairs.map((k) => k.name), 'demo-key']));
    expect((await nova.getKeypair(keypairs[0]!.name)).fingerprint).toBe(keypairs[0]!.fingerprint);
  });

  it('creates a server group', async () => {
    group = await nova.createServerGroup({ name: svcName('group'), policy: 'soft-anti-affinity' });
    cleanup.add('server group', () => nova.deleteServerGroup(group.id));
    expect((await nova.getServerGroup(group.id)).policy).toBe('soft-anti-affinity');
    expect((await nova.listServerGroups()).map((g) => g.id)).toContain(group.id);
  });

  it('boots a server with tags, metadata, description, keypair and group', async () => {
    const neutron = await NetworkClient.open(demo);
    const [net] = await neutron.listNetworks({ name: 'demo-net' });
    const flavor = (await nova.listFlavors()).find((f) => f.name === 'm1.tiny')!;
    const created = await nova.createServer({
      name: svcName('server'),
      flavorRef: flavor.id,
      imageRef: imageId,
      networks: [{ uuid: net!.id }],
      key_name: keypairs[0]!.name,
      metadata: { role: 'test' },
      tags: ['pf', 'svc'],
      description: 'pf test server',
      user_data: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'),
    }, { group: group.id });
    serverId = created.id;
    cleanup.add('server', async () => {
      await nova.deleteServer(serverId);
      await nova.waitForServerDeleted(serverId, WAIT);
    });
    const server = (await nova.waitForServer(serverId, ['ACTIVE'], WAIT))!;
    expect(server).toMatchObject({ description: 'pf test server', key_name: keypairs[0]!.name, metadata: { role: 'test' } });
    expect(server.tags?.sort()).toEqual(['pf', 'svc']);
    expect(server.flavor.original_name).toBe('m1.tiny');
    expect((await nova.getServerGroup(group.id)).members).toEqual([serverId]);
    const interfaces = await nova.listInterfaces(serverId);
    expect(interfaces).toHaveLength(1);
    expect(interfaces[0]!.net_id).toBe(net!.id);
  });

  it('updates metadata and tags', async () => {
    expect(await nova.updateServerMetadata(serverId, { extra: '1' })).toEqual({ role: 'test', extra: '1' });
    expect(await nova.replaceServerMetadata(serverId, { only: 'x' })).toEqual({ only: 'x' });
    expect((await nova.replaceServerTags(serverId, ['a', 'b'])).sort()).toEqual(['a', 'b']);
    expect((await nova.listServerTags(serverId)).sort()).toEqual(['a', 'b']);
  });

  it('locks, pauses and stops the server; attaches and detaches a volume while it is off; starts it', async () => {
    await nova.lock(serverId, 'pf test');
    expect(await nova.getServer(serverId)).toMatchObject({ locked: true, locked_reason: 'pf test' });
    await nova.unlock(serverId);
    await nova.pause(serverId);
    await nova.waitForServer(serverId, ['PAUSED'], WAIT);
    await nova.unpause(serverId);
    await nova.waitForServer(serverId, ['ACTIVE'], WAIT);
    await nova.stop(serverId);
    await nova.waitForServer(serverId, ['SHUTOFF'], WAIT);

    // The seeded image boots no OS, so a running guest never acknowledges a hot-unplug:
    // attach/detach are exercised on the stopped server (cold attach), as a restore does.
    const cinder = await VolumeClient.open(demo);
    const volume = await cinder.createVolume({ size: 1, name: svcName('attach') });
    cleanup.add('volume', async () => {
      await cinder.deleteVolume(volume.id);
      await cinder.waitForVolumeDeleted(volume.id, WAIT);
    });
    await cinder.waitForVolume(volume.id, ['available'], WAIT);
    const attachment = await nova.attachVolume(serverId, { volumeId: volume.id, delete_on_termination: false });
    expect(attachment.volumeId).toBe(volume.id);
    await cinder.waitForVolume(volume.id, ['in-use'], WAIT);
    const attachments = await nova.listVolumeAttachments(serverId);
    expect(attachments.map((a) => a.volumeId)).toEqual([volume.id]);
    expect(attachments[0]!.attachment_id).toBeTruthy();
    await nova.detachVolume(serverId, volume.id);
    await cinder.waitForVolume(volume.id, ['available'], WAIT);

    await nova.start(serverId);
    await nova.waitForServer(serverId, ['ACTIVE'], WAIT);
  });

  it('snapshots the server with createImage', async () => {
    const glance = await ImageClient.open(demo);
    const snapshotId = await nova.createImage(serverId, svcName('snapshot'), { pf: 'yes' });
    cleanup.add('server snapshot image', () => glance.deleteImage(snapshotId));
    const image = await glance.waitForImage(snapshotId, ['active'], WAIT);
    expect(image?.['pf']).toBe('yes');
    expect(image?.['instance_uuid']).toBe(serverId);
    await nova.waitForServer(serverId, ['ACTIVE'], WAIT);
  });

  it('rebuilds the server from an image', async () => {
    const rebuilt = await nova.rebuild(serverId, { imageRef: imageId, description: 'rebuilt' });
    expect(rebuilt.id).toBe(serverId);
    const server = await nova.waitForServer(serverId, ['ACTIVE'], WAIT);
    expect(server?.description).toBe('rebuilt');
  });

  it('lists servers and flavors with pages smaller than the count', async () => {
    const servers = await nova.listServers(); // page size 1
    expect(servers.length).toBeGreaterThanOrEqual(2);
    expect(servers.map((s) => s.id)).toContain(serverId);
    expect(new Set(servers.map((s) => s.id)).size).toBe(servers.length);
    const flavors = await nova.listFlavors();
    expect(flavors.map((f) => f.name)).toEqual(expect.arrayContaining(['m1.tiny', 'm1.small']));
    expect((await nova.listAvailabilityZones()).length).toBeGreaterThan(0);
  });

  it('admin: private flavor with extra specs and project access', async () => {
    const adminNova = await ComputeClient.open(admin);
    const flavor = await adminNova.createFlavor({ name: svcName('flavor'), ram: 128, vcpus: 1, disk: 1, 'os-flavor-access:is_public': false, description: 'pf test' });
    cleanup.add('flavor', () => adminNova.deleteFlavor(flavor.id));
    await adminNova.setFlavorExtraSpecs(flavor.id, { 'hw:cpu_policy': 'shared' });
    expect(await adminNova.getFlavorExtraSpecs(flavor.id)).toEqual({ 'hw:cpu_policy': 'shared' });
    expect((await nova.listFlavors()).map((f) => f.id)).not.toContain(flavor.id);
    await adminNova.addFlavorAccess(flavor.id, demo.project!.id);
    expect((await adminNova.listFlavorAccess(flavor.id)).map((a) => a.tenant_id)).toEqual([demo.project!.id]);
    const seen = (await nova.listFlavors()).find((f) => f.id === flavor.id);
    expect(seen?.['os-flavor-access:is_public']).toBe(false);
    expect(seen?.extra_specs).toEqual({ 'hw:cpu_policy': 'shared' });
    await adminNova.removeFlavorAccess(flavor.id, demo.project!.id);
    expect((await nova.listFlavors()).map((f) => f.id)).not.toContain(flavor.id);
  });
});
