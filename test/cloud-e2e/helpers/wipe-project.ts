// Deletes every resource of a project through the public APIs (the restore tests empty `demo`
// before restoring it in place, and clean up the projects they restored into). Order: servers,
// floating IPs, router interfaces and routers, ports, subnets, networks, subnet pools, security
// groups, volume snapshots, volumes, images, server groups, keypairs, objects and containers.
import { ComputeClient } from '../../../services/compute/client.js';
import { ImageClient } from '../../../services/images/client.js';
import { NetworkClient, isRouterInterfacePort } from '../../../services/networks/client.js';
import { ObjectClient } from '../../../services/objects/client.js';
import { VolumeClient } from '../../../services/volumes/client.js';
import type { Session } from '../../../src/openstack/types.js';

const WAIT = { timeoutMs: 10 * 60_000, intervalMs: 2000 };

async function quietly(fn: () => Promise<unknown>, alsoOk: number[] = []): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== 404 && !alsoOk.includes(status ?? 0)) throw err;
  }
}

export interface WipeOptions {
  /** Also delete the user's keypairs (they belong to the user, not the project). */
  keypairs?: boolean;
}

export async function wipeProject(session: Session, opts: WipeOptions = {}): Promise<void> {
  const projectId = session.project!.id;
  const nova = await ComputeClient.open(session);
  const neutron = await NetworkClient.open(session);
  const cinder = await VolumeClient.open(session);
  const glance = await ImageClient.open(session);
  const swift = await ObjectClient.open(session);

  const servers = (await nova.listServers()).filter((s) => s.tenant_id === projectId);
  await Promise.all(servers.map(async (s) => {
    await quietly(() => nova.unlock(s.id));
    await quietly(() => nova.deleteServer(s.id));
    await nova.waitForServerDeleted(s.id, WAIT);
  }));
  for (const f of await neutron.listFloatingIps({ project_id: projectId })) await quietly(() => neutron.deleteFloatingIp(f.id));
  const ports = await neutron.listPorts({ project_id: projectId });
  for (const r of await neutron.listRouters({ project_id: projectId })) {
    for (const p of ports.filter((p) => p.device_id === r.id && isRouterInterfacePort(p))) await quietly(() => neutron.removeRouterInterface(r.id, { port_id: p.id }));
    await quietly(() => neutron.deleteRouter(r.id));
  }
  for (const p of await neutron.listPorts({ project_id: projectId })) {
    if (String(p.device_owner ?? '').startsWith('network:')) continue;
    await quietly(() => neutron.deletePort(p.id));
  }
  for (const s of await neutron.listSubnets({ project_id: projectId })) await quietly(() => neutron.deleteSubnet(s.id));
  for (const n of await neutron.listNetworks({ project_id: projectId })) {
    if (n['router:external'] === true) continue;
    await quietly(() => neutron.deleteNetwork(n.id));
  }
  for (const p of await neutron.listSubnetPools({ project_id: projectId })) await quietly(() => neutron.deleteSubnetPool(p.id));
  for (const g of await neutron.listSecurityGroups({ project_id: projectId })) {
    if (g.name === 'default') continue;
    await quietly(() => neutron.deleteSecurityGroup(g.id));
  }
  for (const s of await cinder.listSnapshots()) {
    await quietly(() => cinder.deleteSnapshot(s.id));
    await cinder.waitForSnapshotDeleted(s.id, WAIT);
  }
  await Promise.all((await cinder.listVolumes()).map(async (v) => {
    await quietly(() => cinder.deleteVolume(v.id, { cascade: true }));
    await cinder.waitForVolumeDeleted(v.id, WAIT);
  }));
  for (const i of await glance.listOwnedImages(projectId)) {
    if (i.protected) await glance.updateImage(i.id, { protected: false });
    await quietly(() => glance.deleteImage(i.id));
  }
  for (const g of await nova.listServerGroups()) if (!g.project_id || g.project_id === projectId) await quietly(() => nova.deleteServerGroup(g.id));
  if (opts.keypairs) for (const k of await nova.listKeypairs()) await quietly(() => nova.deleteKeypair(k.name));
  for (const c of await swift.listContainers()) {
    // versioned containers refuse deletion while versions exist: delete objects until empty
    for (let round = 0; round < 5; round++) {
      const objects = await swift.listObjects(c.name);
      if (objects.length === 0) break;
      for (const o of objects) await quietly(() => swift.deleteObject(c.name, o.name));
    }
    await swift.updateContainer(c.name, { versionsEnabled: false }).catch(() => undefined);
    await deleteVersions(swift, c.name);
    await quietly(() => swift.deleteContainer(c.name), [409]);
  }
}

/** Old versions kept by Swift's object versioning (listed with ?versions) block a container's deletion. */
async function deleteVersions(swift: ObjectClient, container: string): Promise<void> {
  const res = await swift.http
    .request<Array<{ name: string; version_id?: string }>>({ path: `${swift.http.endpoint}/${encodeURIComponent(container)}`, searchParams: { versions: '', format: 'json' }, okStatus: [200, 204, 404] })
    .catch(() => undefined);
  const items = Array.isArray(res?.body) ? res.body : [];
  for (const item of items) {
    if (!item.version_id || item.version_id === 'null') continue;
    await swift.http
      .request({ method: 'DELETE', path: `${swift.http.endpoint}/${encodeURIComponent(container)}/${item.name.split('/').map(encodeURIComponent).join('/')}`, searchParams: { 'version-id': item.version_id }, okStatus: [200, 204, 404] })
      .catch(() => undefined);
  }
}
