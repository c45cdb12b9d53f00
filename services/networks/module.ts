// Inventory of a project's Neutron resources. Neutron shows admins every project's resources,
// so every list is filtered by project_id. Shared things the project only uses (the external
// `public` network, its subnets, shared QoS policies) are not records of the project; they
// appear as references (with their names) from the project's routers, ports and floating IPs.
import type { ServiceModule, InventoryContext, InventoryResult } from '../module.js';
import { InventoryCollector } from '../common/inventory-collector.js';
import { NetworkClient, type Network, type Port, type SecurityGroup, type Subnet } from './client.js';
import { floatingIpRecord, networkRecord, portRecord, qosPolicyRecord, routerRecord, securityGroupRecord, securityGroupRuleRecord, subnetPoolRecord, subnetRecord, type NameIndex } from './records.js';
import { networkRestore } from './restore.js';

async function inventory(ctx: InventoryContext): Promise<InventoryResult> {
  const out = new InventoryCollector('Neutron');
  const client = await NetworkClient.open(ctx.session, ctx.pageSize);
  const own = { project_id: ctx.projectId };

  const [networks, visibleNetworks, subnets, visibleSubnets, pools, ports, routers, groups, rules, fips, qos] = await Promise.all([
    out.kind('network', () => client.listNetworks(own)),
    // Names of shared/external networks and subnets for readable references; failures only cost names.
    client.listNetworks({ 'router:external': true }).catch(() => [] as Network[]),
    out.kind('subnet', () => client.listSubnets(own)),
    client.listSubnets({ shared: true }).catch(() => [] as Subnet[]),
    out.kind('subnet_pool', () => client.listSubnetPools(own)),
    out.kind('port', () => client.listPorts(own)),
    out.kind('router', () => client.listRouters(own)),
    out.kind('security_group', () => client.listSecurityGroups(own)),
    out.kind('security_group_rule', () => client.listSecurityGroupRules(own)),
    out.kind('floating_ip', () => client.listFloatingIps(own)),
    out.kind('qos_policy', () => client.listQosPolicies(own)),
  ]);

  const names: NameIndex = {
    networks: nameMap([...(visibleNetworks ?? []), ...(networks ?? [])]),
    subnets: nameMap([...(visibleSubnets ?? []), ...(subnets ?? [])]),
    securityGroups: nameMap(groups ?? []),
  };
  // External subnets (router gateways, floating IP pools) are readable by name through their network.
  await addExternalSubnetNames(client, visibleNetworks ?? [], names);

  for (const n of networks ?? []) out.add(networkRecord(n));
  for (const s of subnets ?? []) out.add(subnetRecord(s, names));
  for (const p of pools ?? []) out.add(subnetPoolRecord(p));
  for (const p of ports ?? []) out.add(portRecord(p, names));
  for (const r of routers ?? []) {
    // Interface ports live in the project; a router of the project whose ports could not be
    // listed is still recorded, without interfaces (and the port kind is reported).
    out.add(routerRecord(r, ports ?? ([] as Port[]), names));
  }
  for (const g of groups ?? []) out.add(securityGroupRecord(g as SecurityGroup));
  for (const r of rules ?? []) out.add(securityGroupRuleRecord(r, names));
  for (const f of fips ?? []) out.add(floatingIpRecord(f, names));
  for (const q of qos ?? []) out.add(qosPolicyRecord(q));
  return out.result();
}

function nameMap(items: Array<{ id: string; name: string }>): Map<string, string> {
  return new Map(items.filter((i) => i.name).map((i) => [i.id, i.name]));
}

async function addExternalSubnetNames(client: NetworkClient, external: Network[], names: NameIndex): Promise<void> {
  const ids = external.flatMap((n) => n.subnets);
  if (ids.length === 0 || !names.subnets) return;
  const missing = ids.filter((id) => !names.subnets?.has(id));
  if (missing.length === 0) return;
  for (const network of external.filter((n) => n.subnets.some((id) => missing.includes(id)))) {
    const found = await client.listSubnets({ network_id: network.id }).catch(() => [] as Subnet[]);
    for (const s of found) if (s.name) names.subnets.set(s.id, s.name);
  }
}

export const serviceModule: ServiceModule = {
  name: 'networks',
  serviceTypes: ['network'],
  kinds: ['network', 'subnet', 'subnet_pool', 'port', 'router', 'security_group', 'security_group_rule', 'floating_ip', 'qos_policy'],
  inventory,
  restore: networkRestore,
};
