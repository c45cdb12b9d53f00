// The fidelity suite's source project, made through the public APIs (the services' own clients):
// an IPv6 SLAAC subnet with a port that has a fixed address on it and allowed address pairs, a
// router with legs on an IPv4 subnet, the SLAAC subnet and a gateway-less subnet (the last by a
// port of its own with a description), an extra route via the gateway-less leg, a volume with two
// snapshots taken between reimages with different data (on a file-based Cinder driver such as the
// local cloud's NFS, the reimage rewrites the base file the snapshots share: they end up equal), a versioned container with three versions of one object
// and a symlink object
// (in a container of its own) pointing at an object of the versioned container. Every name starts with pf-test-fidelity-.
import { Readable } from 'node:stream';
import { ImageClient } from '../../../services/images/client.js';
import { uploadImage } from '../../../services/images/upload-image.js';
import { NetworkClient } from '../../../services/networks/client.js';
import { ObjectClient } from '../../../services/objects/client.js';
import { VolumeClient } from '../../../services/volumes/client.js';
import type { Session } from '../../../src/openstack/types.js';

const P = 'pf-test-fidelity';
const WAIT = { timeoutMs: 10 * 60_000, intervalMs: 2000 };

export interface FidelitySeed {
  volumeId: string;
  snapshotIds: string[];
  /** The versioned container (doc.txt in three versions, target.txt). */
  container: string;
  /** The container of the symlink `symlink` → `<container>/target.txt`. */
  links: string;
  symlink: string;
}

export async function seedFidelityProject(session: Session): Promise<FidelitySeed> {
  await seedNetworks(session);
  const volume = await seedVolume(session);
  const objects = await seedObjects(session);
  return { ...volume, ...objects };
}

async function seedNetworks(session: Session): Promise<void> {
  const neutron = await NetworkClient.open(session);
  const net = await neutron.createNetwork({ name: `${P}-net` });
  const v4 = await neutron.createSubnet({ name: `${P}-v4`, network_id: net.id, ip_version: 4, cidr: '10.61.0.0/24', allocation_pools: [{ start: '10.61.0.100', end: '10.61.0.150' }, { start: '10.61.0.10', end: '10.61.0.20' }] } as never);
  const v6 = await neutron.createSubnet({ name: `${P}-v6-slaac`, network_id: net.id, ip_version: 6, cidr: 'fd61::/64', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' } as never);
  const net2 = await neutron.createNetwork({ name: `${P}-net2` });
  const noGateway = await neutron.createSubnet({ name: `${P}-nogw`, network_id: net2.id, ip_version: 4, cidr: '10.62.0.0/24', gateway_ip: null } as never);
  const router = await neutron.createRouter({ name: `${P}-router`, description: 'router of the fidelity project' });
  await neutron.addRouterInterface(router.id, { subnet_id: v4.id });
  await neutron.addRouterInterface(router.id, { subnet_id: v6.id });
  const leg = await neutron.createPort({ network_id: net2.id, name: `${P}-router-leg`, description: 'leg on the gateway-less subnet', fixed_ips: [{ subnet_id: noGateway.id, ip_address: '10.62.0.5' }] } as never);
  await neutron.addRouterInterface(router.id, { port_id: leg.id });
  await neutron.setRouterRoutes(router.id, [{ destination: '10.70.0.0/24', nexthop: '10.62.0.9' }]);
  // a fixed IPv4 address, the SLAAC address Neutron derives from the MAC, and allowed address pairs
  await neutron.createPort({
    network_id: net.id,
    name: `${P}-port`,
    description: 'port with fixed addresses',
    fixed_ips: [{ subnet_id: v4.id, ip_address: '10.61.0.15' }, { subnet_id: v6.id }],
    allowed_address_pairs: [{ ip_address: '10.61.0.200' }, { ip_address: 'fd61::200' }],
  } as never);
}

/** 1 MiB of bytes that differ per label. */
function content(label: string): Buffer {
  const out = Buffer.alloc(2 ** 20);
  for (let i = 0; i < out.length; i += 64) out.write(`${label}:${String(i).padStart(10, '0')}|`.padEnd(64, '.'), i);
  return out;
}

async function imageOf(session: Session, label: string): Promise<string> {
  const glance = await ImageClient.open(session);
  const data = content(label);
  const image = await uploadImage(glance, { image: { name: `${P}-image-${label}`, disk_format: 'raw', container_format: 'bare', visibility: 'private' }, size: data.length, data: async () => Readable.from([data]) });
  return image.id;
}

/** A volume made from "first" data and snapshotted, reimaged with "second" data and snapshotted again, then reimaged with "current" data. */
async function seedVolume(session: Session): Promise<{ volumeId: string; snapshotIds: string[] }> {
  const cinder = await VolumeClient.open(session);
  const glance = await ImageClient.open(session);
  const images = [await imageOf(session, 'first'), await imageOf(session, 'second'), await imageOf(session, 'current')];
  try {
    const volume = await cinder.createVolume({ name: `${P}-vol`, size: 1, imageRef: images[0]! });
    await cinder.waitForVolume(volume.id, ['available'], WAIT);
    const snapshotIds: string[] = [];
    for (const [i, image] of images.slice(1).entries()) {
      const snap = await cinder.createSnapshot({ volume_id: volume.id, name: `${P}-snap-${i + 1}`, description: `snapshot ${i + 1}` });
      await cinder.waitForSnapshot(snap.id, ['available'], WAIT);
      snapshotIds.push(snap.id);
      await cinder.reimage(volume.id, image);
      await cinder.waitForVolume(volume.id, ['available'], WAIT);
    }
    return { volumeId: volume.id, snapshotIds };
  } finally {
    for (const id of images) await glance.deleteImage(id).catch(() => undefined);
  }
}

async function seedObjects(session: Session): Promise<{ container: string; links: string; symlink: string }> {
  const swift = await ObjectClient.open(session);
  const container = `${P}-versioned`;
  await swift.createContainer(container, { versionsEnabled: true });
  for (const n of [1, 2, 3]) await swift.putObject(container, 'doc.txt', `version ${n} of the document\n`.repeat(n * 10), { contentType: 'text/plain' });
  await swift.putObject(container, 'target.txt', 'what the symlink points at\n', { contentType: 'text/plain' });
  const links = `${P}-links`;
  await swift.createContainer(links);
  const symlink = 'link-to-target';
  await swift.http.request({ method: 'PUT', path: `${swift.http.endpoint}/${links}/${symlink}`, headers: { 'X-Symlink-Target': `${container}/target.txt`, 'Content-Length': '0' }, body: '' });
  return { container, links, symlink };
}
