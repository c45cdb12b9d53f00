// Recreates a project's Neutron resources from snapshot records: networks, subnet pools, subnets,
// security groups and their rules, routers (gateway, interfaces), ports (fixed IPs, MAC, address
// pairs), floating IPs and their association. Every created resource carries the restore marker
// as Neutron tags (the `standard-attr-tag` extension) next to the tags it had.
import type { ResourceRecord } from '../../src/model/resource.js';
import { httpStatusOf, isConflict, isNotFound, errorMessage } from '../common/http-status.js';
import { seg, versionedPath } from '../common/api-path.js';
import { markerTags, hasMarker, userTags } from '../restore-marker.js';
import type { KindRestorer, OperationRestorer, RestoreContext, RestoreStep, ServiceRestoreHooks } from '../restore-hooks.js';
import { NetworkClient, type Port, type SecurityGroupRule } from './client.js';

const neutron = (ctx: RestoreContext) => ctx.client('network', (s) => NetworkClient.open(s));

function recordOf(ctx: RestoreContext, step: RestoreStep): ResourceRecord {
  if (!ctx.record) throw new Error(`${step.kind} ${step.name || step.sourceId}: the snapshot has no record of it`);
  return ctx.record;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Copies the listed fields that the record has (undefined and null left out unless `keepNull`). */
function pick(fields: Record<string, unknown>, keys: string[], keepNull = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (fields[k] !== undefined && (keepNull || fields[k] !== null)) out[k] = fields[k];
  return out;
}

/** PUT /{collection}/{id}/tags: the user's tags plus the restore marker. */
async function setTags(ctx: RestoreContext, collection: string, id: string, record: ResourceRecord): Promise<void> {
  const client = await neutron(ctx);
  const tags = [...userTags(record.fields.tags), ...markerTags(ctx.restoreId, record.id)];
  await client.http.request({ method: 'PUT', path: versionedPath(client.http, '/v2.0', `/${collection}/${seg(id)}/tags`), json: { tags } });
}

/** The resource of this restore made from `sourceId`, found by its marker tags. */
async function findTagged(ctx: RestoreContext, collection: string, itemsKey: string, sourceId: string): Promise<string | undefined> {
  const client = await neutron(ctx);
  const items: Array<{ id: string; tags?: string[] }> = [];
  for await (const item of client.http.paginate<{ id: string; tags?: string[] }>({
    path: versionedPath(client.http, '/v2.0', `/${collection}`),
    itemsKey,
    searchParams: { tags: markerTags(ctx.restoreId, sourceId).join(','), project_id: ctx.projectId },
    style: 'neutron',
  })) items.push(item);
  return items.find((i) => hasMarker(ctx.restoreId, sourceId, i.tags))?.id;
}

/** Same name (ports: same MAC on the same network), in the target project, carrying no restore marker. */
async function findUnmarkedTwin(ctx: RestoreContext, collection: string, itemsKey: string, record: ResourceRecord): Promise<string | undefined> {
  const client = await neutron(ctx);
  const filter: Record<string, string> = { project_id: ctx.projectId };
  if (collection === 'ports' && typeof record.fields.mac_address === 'string') filter.mac_address = record.fields.mac_address;
  else if (collection === 'floatingips') {
    // floating IPs have no name (Neutron refuses the filter): the project's only unmarked one
  } else if (record.name) filter.name = record.name;
  else return undefined;
  const items: Array<{ id: string; tags?: string[] }> = [];
  for await (const item of client.http.paginate<{ id: string; tags?: string[] }>({ path: versionedPath(client.http, '/v2.0', `/${collection}`), itemsKey, searchParams: filter, style: 'neutron' })) items.push(item);
  const unmarked = items.filter((i) => !(i.tags ?? []).some((t) => t.startsWith('pf-restore:')));
  return unmarked.length === 1 ? unmarked[0]!.id : undefined;
}

async function ignoreNotFound(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** A restorer for a kind whose resources are plain Neutron objects with tags. */
function tagged(collection: string, itemsKey: string, singular: string, build: (ctx: RestoreContext, record: ResourceRecord, step: RestoreStep) => Promise<{ id: string; changed?: Record<string, { to: unknown; why: string }> }>, remove: (client: NetworkClient, id: string) => Promise<void>): KindRestorer {
  return {
    async findExisting(ctx, step) {
      const tagged = await findTagged(ctx, collection, itemsKey, step.sourceId);
      if (tagged || !step.previouslyStarted || !ctx.record) return tagged;
      // a run killed between the create call and the tagging left it without a marker
      const unmarked = await findUnmarkedTwin(ctx, collection, itemsKey, ctx.record);
      if (unmarked) await setTags(ctx, collection, unmarked, ctx.record);
      return unmarked;
    },
    async create(ctx, step) {
      const record = recordOf(ctx, step);
      const made = await build(ctx, record, step);
      await setTags(ctx, collection, made.id, record);
      return made;
    },
    async update(ctx, step, targetId) {
      // update-fields: names and descriptions; structure (CIDRs, addresses) is what it is. Only
      // what differs is sent: Neutron refuses any name in an update of a `default` group (409).
      const record = recordOf(ctx, step);
      const client = await neutron(ctx);
      const path = versionedPath(client.http, '/v2.0', `/${collection}/${seg(targetId)}`);
      const current = (await client.http.request<Record<string, Record<string, unknown>>>({ path })).body[singular] ?? {};
      const wanted = pick(record.fields, ['name', 'description']);
      const changes = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => current[k] !== v));
      if (Object.keys(changes).length > 0) await client.http.request({ method: 'PUT', path, json: { [singular]: changes } });
      return { id: targetId };
    },
    async delete(ctx, _step, id) {
      await ignoreNotFound(async () => remove(await neutron(ctx), id));
    },
    async unmark(ctx, _step, id) {
      await dropMarkerTags(ctx, collection, singular, id);
    },
  };
}

/** The resource's tags without the restore marker (the user's own tags stay). */
async function dropMarkerTags(ctx: RestoreContext, collection: string, singular: string, id: string): Promise<void> {
  const client = await neutron(ctx);
  const current = (await client.http.request<Record<string, { tags?: string[] }>>({ path: versionedPath(client.http, '/v2.0', `/${collection}/${seg(id)}`) })).body[singular]?.tags ?? [];
  const kept = userTags(current);
  if (kept.length === current.length) return;
  await client.http.request({ method: 'PUT', path: versionedPath(client.http, '/v2.0', `/${collection}/${seg(id)}/tags`), json: { tags: kept } });
}

const network = tagged('networks', 'networks', 'network', async (ctx, r) => {
  const body = pick(r.fields, ['name', 'description', 'admin_state_up', 'mtu', 'port_security_enabled', 'dns_domain', 'availability_zone_hints']);
  const qos = str(r.fields.qos_policy_id);
  if (qos) body.qos_policy_id = ctx.requireTargetId('qos_policy', qos, `network ${r.name}`);
  return { id: (await (await neutron(ctx)).createNetwork(body)).id };
}, (c, id) => c.deleteNetwork(id));

const subnetPool = tagged('subnetpools', 'subnetpools', 'subnetpool', async (ctx, r) => {
  const body = pick(r.fields, ['name', 'description', 'prefixes', 'default_prefixlen', 'min_prefixlen', 'max_prefixlen', 'default_quota']);
  return { id: (await (await neutron(ctx)).createSubnetPool(body as { name: string; prefixes: string[] })).id };
}, (c, id) => c.deleteSubnetPool(id));

const subnet = tagged('subnets', 'subnets', 'subnet', async (ctx, r) => {
  const f = r.fields;
  const body: Record<string, unknown> = pick(f, ['name', 'description', 'cidr', 'ip_version', 'gateway_ip', 'allocation_pools', 'host_routes', 'dns_nameservers', 'enable_dhcp', 'ipv6_ra_mode', 'ipv6_address_mode', 'service_types']);
  if (f.gateway_ip === null) body.gateway_ip = null;
  body.network_id = ctx.requireTargetId('network', String(f.network_id), `subnet ${r.name}`);
  const pool = str(f.subnetpool_id);
  if (pool) body.subnetpool_id = ctx.requireTargetId('subnet_pool', pool, `subnet ${r.name}`);
  return { id: (await (await neutron(ctx)).createSubnet(body as { network_id: string; ip_version: 4 | 6 })).id };
}, async (c, id) => {
  try {
    await c.deleteSubnet(id);
  } catch (err) {
    // addresses Neutron hands out by itself (SLAAC on the DHCP port) block a subnet's deletion;
    // deleting its network (next in the rollback) removes both
    if (!isConflict(err)) throw err;
  }
});

const taggedSecurityGroup = tagged('security-groups', 'security_groups', 'security_group', async (ctx, r) => {
  const body = pick(r.fields, ['name', 'description', 'stateful']) as { name: string };
  return { id: (await (await neutron(ctx)).createSecurityGroup(body)).id };
}, (c, id) => c.deleteSecurityGroup(id));

const securityGroup: KindRestorer = {
  ...taggedSecurityGroup,
  async findExisting(ctx, step) {
    // the project's own "default" group is reused, never created (Neutron makes one per project)
    if (step.name === 'default') {
      const groups = await (await neutron(ctx)).listSecurityGroups({ project_id: ctx.projectId, name: 'default' });
      return groups[0]?.id;
    }
    // by marker, or (after a crash between create and tagging) the unmarked group of that name
    return taggedSecurityGroup.findExisting(ctx, step);
  },
};

/** Rule fields that make two rules the same rule (Neutron refuses duplicates with 409). */
function sameRule(a: Partial<SecurityGroupRule>, b: Record<string, unknown>): boolean {
  const keys = ['direction', 'ethertype', 'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix', 'remote_group_id'] as const;
  return keys.every((k) => (a[k] ?? null) === (b[k] ?? null));
}

function ruleBody(ctx: RestoreContext, r: ResourceRecord): Record<string, unknown> {
  const f = r.fields;
  const body: Record<string, unknown> = pick(f, ['direction', 'ethertype', 'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix', 'description']);
  body.security_group_id = ctx.requireTargetId('security_group', String(f.security_group_id), `rule ${r.name}`);
  const remote = str(f.remote_group_id);
  if (remote) body.remote_group_id = ctx.requireTargetId('security_group', remote, `rule ${r.name}`);
  return body;
}

async function findRule(ctx: RestoreContext, body: Record<string, unknown>): Promise<string | undefined> {
  const rules = await (await neutron(ctx)).listSecurityGroupRules({ security_group_id: String(body.security_group_id) });
  return rules.find((rule) => sameRule(rule, body))?.id;
}

/** Rules have no tags of their own here: the same rule in the same group is the same rule. */
const securityGroupRule: KindRestorer = {
  async findExisting(ctx, step) {
    return findRule(ctx, ruleBody(ctx, recordOf(ctx, step)));
  },
  async create(ctx, step) {
    const body = ruleBody(ctx, recordOf(ctx, step));
    try {
      return { id: (await (await neutron(ctx)).createSecurityGroupRule(body as { security_group_id: string; direction: 'ingress' | 'egress' })).id };
    } catch (err) {
      // Neutron's default egress rules of a new group answer 409: the rule is there already
      if (!isConflict(err)) throw err;
      const found = await findRule(ctx, body);
      if (!found) throw err;
      return { id: found };
    }
  },
  async delete(ctx, _step, id) {
    await ignoreNotFound(async () => (await neutron(ctx)).deleteSecurityGroupRule(id));
  },
};

const taggedRouter = tagged('routers', 'routers', 'router', async (ctx, r) => {
  const f = r.fields;
  const body: Record<string, unknown> = pick(f, ['name', 'description', 'admin_state_up', 'availability_zone_hints']);
  const gateway = f.external_gateway_info as { network_id?: string } | null | undefined;
  // the gateway address and enable_snat are admin-only under default policy: the target assigns them
  if (gateway?.network_id) body.external_gateway_info = { network_id: ctx.requireTargetId('network', gateway.network_id, `router ${r.name}`) };
  const made = await (await neutron(ctx)).createRouter(body);
  const changed: Record<string, { to: unknown; why: string }> = {};
  const routes = Array.isArray(f.routes) ? f.routes : [];
  if (routes.length > 0) ctx.note(`router ${r.name}: its ${routes.length} static route(s) are set once its interfaces exist`);
  return { id: made.id, changed };
}, (c, id) => c.deleteRouter(id));

const router: KindRestorer = {
  ...taggedRouter,
  async loosen(ctx, _step, id) {
    // Neutron keeps an interface while a static route's next hop needs it (409 "required by one or more routes")
    await ignoreNotFound(async () => (await neutron(ctx)).setRouterRoutes(id, []));
  },
};

/** Ports on a network this restore did not create get their addresses from the target. */
function portBody(ctx: RestoreContext, r: ResourceRecord): { body: Record<string, unknown>; changed: Record<string, { to: unknown; why: string }> } {
  const f = r.fields;
  const changed: Record<string, { to: unknown; why: string }> = {};
  const body: Record<string, unknown> = pick(f, ['name', 'description', 'admin_state_up', 'port_security_enabled', 'allowed_address_pairs', 'extra_dhcp_opts', 'binding:vnic_type', 'dns_name']);
  const oldNetwork = String(f.network_id);
  body.network_id = ctx.requireTargetId('network', oldNetwork, `port ${r.name || r.id}`);
  const ownNetwork = ctx.recordOf('network', oldNetwork) !== undefined;
  if (ownNetwork) {
    if (typeof f.mac_address === 'string') body.mac_address = f.mac_address;
    body.fixed_ips = requestedFixedIps(ctx, f.fixed_ips, `port ${r.name || r.id}`, false);
  } else {
    changed.mac_address = { to: '(assigned by the target)', why: 'the port is on a network this restore does not own' };
    changed.fixed_ips = { to: '(assigned by the target)', why: 'the port is on a network this restore does not own' };
  }
  const groups = Array.isArray(f.security_groups) ? (f.security_groups as string[]) : [];
  if (f.port_security_enabled !== false) body.security_groups = groups.map((g) => ctx.requireTargetId('security_group', g, `port ${r.name || r.id}`));
  const qos = str(f.qos_policy_id);
  if (qos) body.qos_policy_id = ctx.requireTargetId('qos_policy', qos, `port ${r.name || r.id}`);
  return { body, changed };
}

/** Subnets whose IPv6 addresses Neutron derives itself (EUI-64 of the port's MAC): no fixed address may be asked for. */
export function isAutoAddressSubnet(fields: Record<string, unknown> | undefined): boolean {
  const mode = fields?.ipv6_address_mode;
  return mode === 'slaac' || mode === 'dhcpv6-stateless';
}

/**
 * The fixed IPs a port is created with, on the target's subnets. On a SLAAC or DHCPv6-stateless
 * subnet only the subnet is named (Neutron refuses an address there and derives it from the MAC,
 * which the port keeps: the address comes back equal); a router port takes its address as it was.
 */
function requestedFixedIps(ctx: RestoreContext, list: unknown, what: string, routerPort: boolean, onlySubnets?: string[]): Array<{ subnet_id: string; ip_address?: string }> {
  const fixed = Array.isArray(list) ? (list as Array<{ subnet_id: string; ip_address?: string }>) : [];
  return fixed
    .filter((ip) => !onlySubnets || onlySubnets.includes(ip.subnet_id))
    .map((ip) => {
      const subnet_id = ctx.requireTargetId('subnet', ip.subnet_id, what);
      const automatic = !routerPort && isAutoAddressSubnet(ctx.recordOf('subnet', ip.subnet_id)?.fields);
      return { subnet_id, ...(ip.ip_address && !automatic ? { ip_address: ip.ip_address } : {}) };
    });
}

const port = tagged('ports', 'ports', 'port', async (ctx, r) => {
  const { body, changed } = portBody(ctx, r);
  return { id: (await (await neutron(ctx)).createPort(body as Partial<Port> & { network_id: string })).id, changed };
}, (c, id) => c.deletePort(id));

const floatingIp = tagged('floatingips', 'floatingips', 'floatingip', async (ctx, r, step) => {
  const f = r.fields;
  const client = await neutron(ctx);
  const networkId = ctx.requireTargetId('network', String(f.floating_network_id), `floating IP ${r.name}`);
  const base = { floating_network_id: networkId, ...(typeof f.description === 'string' ? { description: f.description } : {}) };
  const address = str(f.floating_ip_address);
  // the plan asks for the same address only into the snapshot's own project in the same cloud
  const keep = ctx.sameCloud && step.params?.keepAddress !== false;
  if (keep && address) {
    try {
      return { id: (await client.createFloatingIp({ ...base, floating_ip_address: address })).id };
    } catch (err) {
      const status = httpStatusOf(err);
      // 403: choosing the address is admin-only by default; 409: the address is taken
      if (status !== 403 && status !== 409) throw err;
      const made = await client.createFloatingIp(base);
      const why = status === 403 ? 'choosing a floating IP address needs the admin role' : `the address is in use in the target (${errorMessage(err)})`;
      ctx.note(`floating IP ${address}: got ${made.floating_ip_address} instead (${why})`);
      return { id: made.id, changed: { floating_ip_address: { to: made.floating_ip_address, why } } };
    }
  }
  const made = await client.createFloatingIp(base);
  const why = ctx.sameCloud ? 'not requested again: the source project may still hold it' : 'another cloud allocates its own addresses';
  return { id: made.id, ...(address ? { changed: { floating_ip_address: { to: made.floating_ip_address, why } } } : {}) };
}, (c, id) => c.deleteFloatingIp(id));

// ---------------------------------------------------------------- extra operations

/** Subnets a router-interface step connects (old IDs). */
function interfaceSubnets(step: RestoreStep): string[] {
  return Array.isArray(step.params?.subnets) ? (step.params.subnets as string[]) : [];
}

async function interfacePortOf(ctx: RestoreContext, routerId: string, subnetId: string): Promise<string | undefined> {
  const ports = await (await neutron(ctx)).listRouterInterfacePorts(routerId);
  return ports.find((p) => p.fixed_ips.some((ip) => ip.subnet_id === subnetId))?.id;
}

const routerInterface: OperationRestorer = {
  async findExisting(ctx, step) {
    const routerId = ctx.requireTargetId('router', String(step.params?.router ?? step.sourceId), step.name);
    const subnet = interfaceSubnets(step)[0];
    const plugged = subnet ? await interfacePortOf(ctx, routerId, ctx.requireTargetId('subnet', subnet, step.name)) : undefined;
    if (plugged || step.kind !== 'port') return plugged;
    // a killed run (or an attempt whose answer was lost) made the port: plugged in now if it is not yet
    let made = await findTagged(ctx, 'ports', 'ports', step.sourceId);
    if (!made && step.previouslyStarted && ctx.record) {
      // killed between the port's create and its tagging: the same MAC, unmarked, on the restored network
      made = await findUnmarkedTwin(ctx, 'ports', 'ports', ctx.record);
      if (made) await setTags(ctx, 'ports', made, ctx.record);
    }
    if (!made) return undefined;
    await plugIn(await neutron(ctx), routerId, made, false);
    return made;
  },
  async apply(ctx, step) {
    const client = await neutron(ctx);
    const oldRouter = String(step.params?.router ?? step.sourceId);
    const routerId = ctx.requireTargetId('router', oldRouter, step.name);
    const portRecord = step.kind === 'port' ? ctx.record : undefined;
    const [subnetOld] = interfaceSubnets(step);
    if (!subnetOld) throw new Error(`${step.name}: the plan names no subnet for the router interface`);
    const subnetId = ctx.requireTargetId('subnet', subnetOld, step.name);
    let portId: string;
    if (portRecord) {
      // the port first, with its name, description, MAC and addresses, then plugged in by port
      const made = await client.createPort(routerPortBody(ctx, portRecord, (await client.getSubnet(subnetId)).network_id, interfaceSubnets(step)) as Partial<Port> & { network_id: string });
      await setTags(ctx, 'ports', made.id, portRecord);
      await plugIn(client, routerId, made.id, true);
      portId = made.id;
    } else {
      portId = (await client.addRouterInterface(routerId, { subnet_id: subnetId })).port_id;
    }
    await applyRoutes(ctx, routerId, oldRouter);
    return { id: portId };
  },
  async undo(ctx, step, portId) {
    const client = await neutron(ctx);
    const routerId = ctx.targetIdOf('router', String(step.params?.router ?? step.sourceId));
    const port = await client.getPort(portId).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (!port) return;
    // removing the interface deletes its port; a port never plugged in is deleted as it is
    if (routerId && port.device_id === routerId) await ignoreNotFound(async () => client.removeRouterInterface(routerId, { port_id: portId }));
    else await ignoreNotFound(async () => client.deletePort(portId));
  },
  async unmark(ctx, step, portId) {
    if (step.kind === 'port') await dropMarkerTags(ctx, 'ports', 'port', portId);
  },
};

/**
 * Plugs a port into a router. A call that timed out may have gone through and its retry then
 * meets "already has an attached device" (409): plugged into this router is what was wanted. A
 * port that could not be plugged in is deleted when `dropOnFailure` (it was just made for it).
 */
async function plugIn(client: NetworkClient, routerId: string, portId: string, dropOnFailure: boolean): Promise<void> {
  if ((await client.getPort(portId)).device_id === routerId) return;
  try {
    await client.addRouterInterface(routerId, { port_id: portId });
  } catch (err) {
    const now = await client.findPort(portId).catch(() => undefined);
    if (now?.device_id === routerId) return;
    if (dropOnFailure && !now?.device_id) await client.deletePort(portId).catch(() => undefined);
    throw err;
  }
}

/** A router interface's port as it was: name, description, MAC (on the restore's own network) and its addresses on the interface's subnets. */
function routerPortBody(ctx: RestoreContext, r: ResourceRecord, networkId: string, subnets: string[]): Record<string, unknown> {
  const f = r.fields;
  // the owner is set first: Neutron takes a chosen address on a SLAAC subnet from a router port only
  const body: Record<string, unknown> = { ...pick(f, ['name', 'description', 'admin_state_up', 'device_owner']), network_id: networkId };
  if (typeof f.mac_address === 'string' && ctx.recordOf('network', String(f.network_id)) !== undefined) body.mac_address = f.mac_address;
  body.fixed_ips = requestedFixedIps(ctx, f.fixed_ips, `router port ${r.name || r.id}`, true, subnets);
  return body;
}

/** Static routes need their next hops on a connected subnet: set after each interface, last one wins. */
async function applyRoutes(ctx: RestoreContext, routerId: string, oldRouterId: string): Promise<void> {
  const routes = ctx.recordOf('router', oldRouterId)?.fields.routes;
  if (!Array.isArray(routes) || routes.length === 0) return;
  try {
    await (await neutron(ctx)).setRouterRoutes(routerId, routes as Array<{ destination: string; nexthop: string }>);
  } catch (err) {
    ctx.note(`router ${oldRouterId}: static routes not set yet (${errorMessage(err)})`);
  }
}

const floatingIpAssociate: OperationRestorer = {
  async findExisting(ctx, step) {
    const fipId = ctx.requireTargetId('floating_ip', String(step.params?.floatingIp ?? step.sourceId), step.name);
    const portId = ctx.requireTargetId('port', String(step.params?.port), step.name);
    const fip = await (await neutron(ctx)).getFloatingIp(fipId);
    return fip.port_id === portId ? fipId : undefined;
  },
  async apply(ctx, step) {
    const fipId = ctx.requireTargetId('floating_ip', String(step.params?.floatingIp ?? step.sourceId), step.name);
    const portId = ctx.requireTargetId('port', String(step.params?.port), step.name);
    const fixed = str(step.params?.fixedIp);
    const client = await neutron(ctx);
    const portNow = await client.getPort(portId);
    const fixedOk = fixed !== undefined && portNow.fixed_ips.some((ip) => ip.ip_address === fixed);
    await client.updateFloatingIp(fipId, { port_id: portId, ...(fixedOk ? { fixed_ip_address: fixed } : {}) });
    return { id: fipId };
  },
  async undo(ctx, step, fipId) {
    await ignoreNotFound(async () => (await neutron(ctx)).updateFloatingIp(fipId, { port_id: null }));
  },
};

/** Rules embedded in a group record (no rule records in the snapshot). */
const embeddedRules: OperationRestorer = {
  async findExisting() {
    return undefined;
  },
  async apply(ctx, step) {
    const rules = Array.isArray(step.params?.rules) ? (step.params.rules as Record<string, unknown>[]) : [];
    const groupId = ctx.requireTargetId('security_group', step.sourceId, step.name);
    for (const rule of rules) {
      await securityGroupRule.create({ ...ctx, record: { kind: 'security_group_rule', id: String(rule.id ?? ''), name: '', fields: { ...rule, security_group_id: step.sourceId }, refs: [], status: 'ok' } }, step);
    }
    return { id: groupId };
  },
  async undo() {
    // the rules go with their group
  },
};

export const networkRestore: ServiceRestoreHooks = {
  kinds: {
    network,
    subnet_pool: subnetPool,
    subnet,
    security_group: securityGroup,
    security_group_rule: securityGroupRule,
    router,
    port,
    floating_ip: floatingIp,
  },
  operations: {
    'port/router-interface': routerInterface,
    'router/router-interface': routerInterface,
    'floating_ip/floating-ip-associate': floatingIpAssociate,
    'security_group/security-group-rules': embeddedRules,
  },
};
