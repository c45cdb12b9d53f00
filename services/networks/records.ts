// Pure mapping of Neutron API objects to inventory records and their references. Kept free of
// I/O so the reference extraction is unit-tested on sample API JSON.
import type { ResourceRecord, ResourceRef } from '../../src/model/resource.js';
import type { ResourceKind } from '../../src/model/kinds.js';
import { makeRecord, ref } from '../common/inventory-collector.js';
import { isRouterInterfacePort, type FloatingIp, type Network, type Port, type QosPolicy, type Router, type SecurityGroup, type SecurityGroupRule, type Subnet, type SubnetPool } from './client.js';

/** Names of networks/subnets/groups that are referenced but may not belong to the project. */
export interface NameIndex {
  networks?: Map<string, string>;
  subnets?: Map<string, string>;
  securityGroups?: Map<string, string>;
}

/**
 * The record of a Neutron object: its own ID, name and project; `fields` is the object itself
 * unless `shape` gives other fields (or another name, for objects without one).
 */
function neutronRecord(kind: ResourceKind, o: { id: string; name?: string | null; project_id?: string | null }, refs: Array<ResourceRef | undefined> = [], shape: { name?: string; fields?: object } = {}): ResourceRecord {
  return makeRecord({ kind, id: o.id, name: 'name' in shape ? shape.name : o.name, projectId: o.project_id, fields: shape.fields ?? o, refs });
}

export function networkRecord(n: Network): ResourceRecord {
  return neutronRecord('network', n, [ref('qos_policy', n.qos_policy_id, 'qos_policy_id')]);
}

export function subnetRecord(s: Subnet, names: NameIndex = {}): ResourceRecord {
  return neutronRecord('subnet', s, [ref('network', s.network_id, 'network_id', names.networks?.get(s.network_id)), ref('subnet_pool', s.subnetpool_id, 'subnetpool_id')]);
}

export function subnetPoolRecord(p: SubnetPool): ResourceRecord {
  return neutronRecord('subnet_pool', p);
}

export function portRecord(p: Port, names: NameIndex = {}): ResourceRecord {
  return neutronRecord('port', p, [
    ref('network', p.network_id, 'network_id', names.networks?.get(p.network_id)),
    ...p.fixed_ips.map((ip, i) => ref('subnet', ip.subnet_id, `fixed_ips.${i}.subnet_id`, names.subnets?.get(ip.subnet_id))),
    ...(p.security_groups ?? []).map((sg, i) => ref('security_group', sg, `security_groups.${i}`, names.securityGroups?.get(sg))),
    ref('qos_policy', p.qos_policy_id, 'qos_policy_id'),
  ]);
}

/** Interfaces of a router as a restore needs them (one entry per fixed IP of each interface port). */
export function routerInterfaces(routerId: string, ports: Port[]): Array<{ port_id: string; subnet_id: string; ip_address: string; device_owner: string }> {
  return ports
    .filter((p) => p.device_id === routerId && isRouterInterfacePort(p))
    .flatMap((p) => p.fixed_ips.map((ip) => ({ port_id: p.id, subnet_id: ip.subnet_id, ip_address: ip.ip_address, device_owner: p.device_owner })));
}

/** A router with its interfaces (derived from the project's ports) added to `fields.interfaces`. */
export function routerRecord(r: Router, ports: Port[], names: NameIndex = {}): ResourceRecord {
  const interfaces = routerInterfaces(r.id, ports);
  const gateway = r.external_gateway_info;
  return neutronRecord('router', r, [
    ref('network', gateway?.network_id, 'external_gateway_info.network_id', gateway ? names.networks?.get(gateway.network_id) : undefined),
    ...(gateway?.external_fixed_ips ?? []).map((ip, i) => ref('subnet', ip.subnet_id, `external_gateway_info.external_fixed_ips.${i}.subnet_id`, names.subnets?.get(ip.subnet_id))),
    ...interfaces.map((iface, i) => ref('subnet', iface.subnet_id, `interfaces.${i}.subnet_id`, names.subnets?.get(iface.subnet_id))),
  ], { fields: { ...r, interfaces } });
}

/** Rules are records of their own (kind security_group_rule); the group keeps only their IDs. */
export function securityGroupRecord(g: SecurityGroup): ResourceRecord {
  const { security_group_rules: rules, ...rest } = g;
  return neutronRecord('security_group', g, [], { fields: { ...rest, security_group_rule_ids: (rules ?? []).map((r) => r.id) } });
}

export function securityGroupRuleRecord(r: SecurityGroupRule, names: NameIndex = {}): ResourceRecord {
  return neutronRecord('security_group_rule', r, [
    ref('security_group', r.security_group_id, 'security_group_id', names.securityGroups?.get(r.security_group_id)),
    ref('security_group', r.remote_group_id, 'remote_group_id', r.remote_group_id ? names.securityGroups?.get(r.remote_group_id) : undefined),
  ], { name: ruleLabel(r) });
}

/** Rules have no name: a readable summary such as `ingress IPv4 tcp 22 from 0.0.0.0/0`. */
export function ruleLabel(r: SecurityGroupRule): string {
  const ports = r.port_range_min === null && r.port_range_max === null ? '' : r.port_range_min === r.port_range_max ? ` ${r.port_range_min}` : ` ${r.port_range_min ?? ''}-${r.port_range_max ?? ''}`;
  const remote = r.remote_group_id ? ` group ${r.remote_group_id}` : r.remote_ip_prefix ? ` ${r.remote_ip_prefix}` : '';
  return `${r.direction} ${r.ethertype} ${r.protocol ?? 'any'}${ports}${remote ? (r.direction === 'ingress' ? ' from' : ' to') + remote : ''}`;
}

export function floatingIpRecord(f: FloatingIp, names: NameIndex = {}): ResourceRecord {
  return neutronRecord('floating_ip', f, [
    ref('network', f.floating_network_id, 'floating_network_id', names.networks?.get(f.floating_network_id)),
    ref('port', f.port_id, 'port_id'),
    ref('router', f.router_id, 'router_id'),
    ref('qos_policy', f.qos_policy_id, 'qos_policy_id'),
  ], { name: f.floating_ip_address });
}

export function qosPolicyRecord(q: QosPolicy): ResourceRecord {
  return neutronRecord('qos_policy', q);
}
