// Deletes every resource of a project through the public APIs: the restore suite empties its own
// copy of demo before restoring it in place, and removes every project it restored into. Order:
// servers (and wait until they are gone: their volumes and ports are released only then),
// floating IPs, router interfaces and routers, ports, subnets, networks, subnet pools, security
// groups but `default`, volume snapshots, volumes (after they left attaching/detaching/in-use), images, server
// groups, keypairs (optional: they belong to the user), objects and containers (old versions
// too). Everything waits with a bound; the whole pass repeats until nothing is left (at most 3
// rounds), and a project that is still not empty is an error naming what is left.
import { setTimeout as sleep } from 'node:timers/promises';
import { ComputeClient } from '../../../services/compute/client.js';
import { ImageClient } from '../../../services/images/client.js';
import { NetworkClient, isRouterInterfacePort } from '../../../services/networks/client.js';
import { ObjectClient } from '../../../services/objects/client.js';
import { VolumeClient } from '../../../services/volumes/client.js';
import type { Session } from '../../../src/openstack/types.js';

/** Bound of every single wait (a server's deletion, a volume leaving "detaching", …). */
const WAIT_MS = 5 * 60_000;
const POLL_MS = 2000;
/** Volume states that end by themselves: wait, do not delete yet. */
const VOLUME_BUSY = new Set(['attaching', 'detaching', 'creating', 'downloading', 'uploading', 'deleting', 'reserved', 'backing-up', 'restoring-backup', 'extending', 'retyping', 'awaiting-transfer', 'maintenance']);

async function quietly(fn: () => Promise<unknown>, alsoOk: number[] = []): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== 404 && !alsoOk.includes(status ?? 0)) throw err;
  }
}

/** Polls `done` until it says true, at most `timeoutMs`; throws naming `what` after that. */
async function until(what: string, done: () => Promise<boolean>, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await done()) return;
    if (Date.now() > deadline) throw new Error(`wipe: gave up waiting for ${what} after ${Math.round(timeoutMs / 1000)} s`);
    await sleep(POLL_MS);
  }
}

export interface WipeOptions {
  /** Also delete the user's keypairs (they belong to the user, not the project: never for a shared user). */
  keypairs?: boolean;
}

interface Clients {
  projectId: string;
  nova: ComputeClient;
  neutron: NetworkClient;
  cinder: VolumeClient;
  glance: ImageClient;
  swift?: ObjectClient;
  admin: boolean;
}

async function clientsOf(session: Session): Promise<Clients> {
  return {
    projectId: session.project!.id,
    nova: await ComputeClient.open(session),
    neutron: await NetworkClient.open(session),
    cinder: await VolumeClient.open(session),
    glance: await ImageClient.open(session),
    ...(session.hasService('object-store') ? { swift: await ObjectClient.open(session).catch(() => undefined) } : {}),
    admin: session.isAdmin(),
  } as Clients;
}

export async function wipeProject(session: Session, opts: WipeOptions = {}): Promise<void> {
  const c = await clientsOf(session);
  let last: string[] = [];
  for (let round = 1; round <= 3; round++) {
    await wipeOnce(c, opts).catch((err: unknown) => {
      if (round === 3) throw err;
    });
    last = await leftovers(session, opts);
    if (last.length === 0) return;
  }
  throw new Error(`wipe: project ${session.project!.name} is not empty after 3 rounds: ${last.join(', ')}`);
}

/** What is still in the project (kind:name), as the wipe sees it. */
export async function leftovers(session: Session, opts: WipeOptions = {}): Promise<string[]> {
  const c = await clientsOf(session);
  const p = { project_id: c.projectId };
  const out: string[] = [];
  const add = (kind: string, items: Array<{ name?: string | null; id: string }>) => out.push(...items.map((i) => `${kind}:${i.name || i.id}`));
  add('server', (await c.nova.listServers()).filter((s) => s.tenant_id === c.projectId));
  add('floating_ip', (await c.neutron.listFloatingIps(p)).map((f) => ({ id: f.id, name: f.floating_ip_address })));
  add('router', await c.neutron.listRouters(p));
  add('port', (await c.neutron.listPorts(p)).filter((x) => !String(x.device_owner ?? '').startsWith('network:')));
  add('subnet', await c.neutron.listSubnets(p));
  add('network', (await c.neutron.listNetworks(p)).filter((n) => n['router:external'] !== true));
  add('subnet_pool', await c.neutron.listSubnetPools(p));
  // Neutron makes the `default` group again whenever the project's groups are listed: not counted
  add('security_group', (await c.neutron.listSecurityGroups(p)).filter((g) => g.name !== 'default'));
  add('volume_snapshot', await c.cinder.listSnapshots());
  add('volume', await c.cinder.listVolumes());
  add('image', await c.glance.listOwnedImages(c.projectId));
  add('server_group', (await c.nova.listServerGroups()).filter((g) => !g.project_id || g.project_id === c.projectId));
  if (opts.keypairs) add('keypair', (await c.nova.listKeypairs()).map((k) => ({ id: k.name, name: k.name })));
  if (c.swift) add('container', (await c.swift.listContainers()).map((k) => ({ id: k.name, name: k.name })));
  return out;
}

async function wipeOnce(c: Clients, opts: WipeOptions): Promise<void> {
  const { projectId, nova, neutron, cinder, glance, swift } = c;
  const p = { project_id: projectId };

  // servers first, and wait until they are gone: their volumes and ports are free only then
  const servers = (await nova.listServers()).filter((s) => s.tenant_id === projectId);
  for (const s of servers) {
    await quietly(() => nova.unlock(s.id), [409]);
    await quietly(() => nova.deleteServer(s.id), [409]);
  }
  await until(`servers ${servers.map((s) => s.name).join(', ')} to be deleted`, async () => {
    const left = (await nova.listServers()).filter((s) => servers.some((x) => x.id === s.id));
    // a server stuck in "deleting" after its delete was refused (409 while busy): ask again
    for (const s of left) if (!s['OS-EXT-STS:task_state']) await quietly(() => nova.deleteServer(s.id), [409]);
    return left.length === 0;
  });

  for (const f of await neutron.listFloatingIps(p)) await quietly(() => neutron.deleteFloatingIp(f.id));
  for (const r of await neutron.listRouters(p)) {
    // an interface a static route's next hop needs cannot be removed (409): the routes go first
    if ((r.routes ?? []).length > 0) await quietly(() => neutron.setRouterRoutes(r.id, []));
    for (const port of (await neutron.listPorts({ device_id: r.id })).filter((x) => isRouterInterfacePort(x))) await quietly(() => neutron.removeRouterInterface(r.id, { port_id: port.id }));
    await quietly(() => neutron.deleteRouter(r.id));
  }
  for (const port of await neutron.listPorts(p)) {
    if (String(port.device_owner ?? '').startsWith('network:')) continue;
    await quietly(() => neutron.deletePort(port.id));
  }
  // a SLAAC subnet keeps addresses on the DHCP port (409): deleting its network removes both
  for (const s of await neutron.listSubnets(p)) await quietly(() => neutron.deleteSubnet(s.id), [409]);
  for (const n of await neutron.listNetworks(p)) {
    if (n['router:external'] === true) continue;
    await quietly(() => neutron.deleteNetwork(n.id), [409]);
  }
  for (const pool of await neutron.listSubnetPools(p)) await quietly(() => neutron.deleteSubnetPool(pool.id), [409]);
  for (const g of await neutron.listSecurityGroups(p)) {
    if (g.name === 'default') continue;
    await quietly(() => neutron.deleteSecurityGroup(g.id), [409]);
  }

  // volumes: once no server holds them any more (Nova detaches while it deletes the server)
  const snapshots = await cinder.listSnapshots();
  for (const s of snapshots) await quietly(() => cinder.deleteSnapshot(s.id), [400]);
  await until('volume snapshots to be deleted', async () => {
    const left = await cinder.listSnapshots();
    for (const s of left) {
      if (s.status === 'error_deleting' && c.admin) {
        // a delete the back end failed (seen after a Nova-assisted delete): an admin resets and retries
        await quietly(() => cinder.http.request({ method: 'POST', path: `/snapshots/${encodeURIComponent(s.id)}/action`, json: { 'os-reset_status': { status: 'error' } } }));
        await quietly(() => cinder.deleteSnapshot(s.id), [400]);
      } else if (s.status === 'available' || s.status === 'error') await quietly(() => cinder.deleteSnapshot(s.id), [400]);
    }
    return left.length === 0;
  });
  const volumes = await cinder.listVolumes();
  await until(`volumes ${volumes.map((v) => v.name || v.id).join(', ')} to be deleted`, async () => {
    const left = await cinder.listVolumes();
    for (const v of left) {
      if (VOLUME_BUSY.has(v.status)) continue;
      if (v.status === 'in-use' || v.status === 'error_deleting') {
        // the servers are gone: an attachment left behind is stale; an admin clears it
        if (!c.admin) continue;
        await quietly(() => cinder.http.request({ method: 'POST', path: `/volumes/${encodeURIComponent(v.id)}/action`, json: { 'os-reset_status': { status: 'available', attach_status: 'detached' } } }));
      }
      await quietly(() => cinder.deleteVolume(v.id, { cascade: true }), [400]);
    }
    return left.length === 0;
  });

  for (const i of await glance.listOwnedImages(projectId)) {
    if (i.protected) await quietly(() => glance.updateImage(i.id, { protected: false }));
    await quietly(() => glance.deleteImage(i.id), [409]);
  }
  for (const g of await nova.listServerGroups()) if (!g.project_id || g.project_id === projectId) await quietly(() => nova.deleteServerGroup(g.id));
  if (opts.keypairs) for (const k of await nova.listKeypairs()) await quietly(() => nova.deleteKeypair(k.name));
  if (swift) {
    for (const container of await swift.listContainers()) {
      // versioned containers refuse deletion while versions exist: delete objects until empty
      for (let round = 0; round < 5; round++) {
        const objects = await swift.listObjects(container.name);
        if (objects.length === 0) break;
        for (const o of objects) await quietly(() => swift.deleteObject(container.name, o.name), [409]);
      }
      await swift.updateContainer(container.name, { versionsEnabled: false }).catch(() => undefined);
      await deleteVersions(swift, container.name);
      await quietly(() => swift.deleteContainer(container.name), [409]);
    }
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
