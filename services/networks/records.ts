// Pure mapping of Neutron API objects to inventory records and their references. Kept free of
// I/O so the reference extraction is unit-tested on sample API JSON.
import type { ResourceRecord } from '../../src/model/resource.js';
import { makeRecord, ref } from '../common/inventory-collector.js';
import { isRouterInterfacePort, type FloatingIp, type Network, type Port, type QosPolicy, type Router, type SecurityGroup, type SecurityGroupRule, type Subnet, type SubnetPool } from './client.js';

/** Names of networks/subnets/groups that are referenced but may not belong to the project. */
export interface NameIndex {
  networks?: Map<string, string>;
  subnets?: Map<string, string>;
  securityGroups?: Map<string, string>;
}

export function networkRecord(n: Network): ResourceRecord {
  return makeRecord({
    kind: 'network',
    id: n.id,
    name: n.name,
    projectId: n.project_id,
    fields: n,
    refs: [ref('qos_policy', n.qos_policy_id, 'qos_policy_id')],
  });
}

export function subnetRecord(s: Subnet, names: NameIndex = {}): ResourceRecord {
  return makeRecord({
    kind: 'subnet',
    id: s.id,
    name: s.name,
    projectId: s.project_id,
    fields: s,
    refs: [ref('network', s.network_id, 'network_id', names.networks?.get(s.network_id)), ref('subnet_pool', s.subnetpool_id, 'subnetpool_id')],
  });
}

export function subnetPoolRecord(p: SubnetPool): ResourceRecord {
  return makeRecord({ kind: 'subnet_pool', id: p.id, name: p.name, projectId: p.project_id, fields: p });
}

export function portRecord(p: Port, names: NameIndex = {}): ResourceRecord {
  return makeRecord({
    kind: 'port',
    id: p.id,
    name: p.name,
    projectId: p.project_id,
    fields: p,
    refs: [
      ref('network', p.network_id, 'network_id', names.networks?.get(p.network_id)),
      ...p.fixed_ips.map((ip, i) => ref('subnet', ip.subnet_id, `fixed_ips.${i}.subnet_id`, names.subnets?.get(ip.subnet_id))),
      ...(p.security_groups ?? []).map((sg, i) => ref('security_group', sg, `security_groups.${i}`, names.securityGroups?.get(sg))),
      ref('qos_policy', p.qos_policy_id, 'qos_policy_id'),
    ],
  });
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
  return makeRecord({
    kind: 'router',
    id: r.id,
    name: r.name,
    projectId: r.project_id,
    fields: { ...r, interfaces },
    refs: [
      ref('network', gateway?.network_id, 'external_gateway_info.network_id', gateway ? names.networks?.get(gateway.network_id) : undefined),
      ...(gateway?.external_fixed_ips ?? []).map((ip, i) => ref('subnet', ip.subnet_id, `external_gateway_info.external_fixed_ips.${i}.subnet_id`, names.subnets?.get(ip.subnet_id))),
      ...interfaces.map((iface, i) => ref('subnet', iface.subnet_id, `interfaces.${i}.subnet_id`, names.subnets?.get(iface.subnet_id))),
    ],
  });
}

/** Rules are records of their own (kind security_group_rule); the group keeps only their IDs. */
export function securityGroupRecord(g: SecurityGroup): ResourceRecord {
  const { security_group_rules: rules, ...rest } = g;
  return makeRecord({
    kind: 'security_group',
    id: g.id,
    name: g.name,
    projectId: g.project_id,
    fields: { ...rest, security_group_rule_ids: (rules ?? []).map((r) => r.id) },
  });
}

export function securityGroupRuleRecord(r: SecurityGroupRule, names: NameIndex = {}): ResourceRecord {
  return makeRecord({
    kind: 'security_group_rule',
    id: r.id,
    name: ruleLabel(r),
    projectId: r.project_id,
    fields: r,
    refs: [
      ref('security_group', r.security_group_id, 'security_group_id', names.securityGroups?.get(r.security_group_id)),
      ref('security_group', r.remote_group_id, 'remote_group_id', r.remote_group_id ? names.securityGroups?.get(r.remote_group_id) : undefined),
    ],
  });
}

/** Rules have no name: a readable summary such as `ingress IPv4 tcp 22 from 0.0.0.0/0`. */
export function ruleLabel(r: SecurityGroupRule): string {
  const ports = r.port_range_min === null && r.port_range_max === null ? '' : r.port_range_min === r.port_range_max ? ` ${r.port_range_min}` : ` ${r.port_range_min ?? ''}-${r.port_range_max ?? ''}`;
  const remote = r.remote_group_id ? ` group ${r.remote_group_id}` : r.remote_ip_prefix ? ` ${r.remote_ip_prefix}` : '';
  return `${r.direction} ${r.ethertype} ${r.protocol ?? 'any'}${ports}${remote ? (r.direction === 'ingress' ? ' from' : ' to') + remote : ''}`;
}

export function floatingIpRecord(f: FloatingIp, names: NameIndex = {}): ResourceRecord {
  return makeRecord({
    kind: 'floating_ip',
    id: f.id,
    name: f.floating_ip_address,
    projectId: f.project_id,
    fields: f,
    refs: [
      ref('network', f.floating_network_id, 'floating_network_id', names.networks?.get(f.floating_network_id)),
      ref('port', f.port_id, 'port_id'),
      ref('router', f.router_id, 'router_id'),
      ref('qos_policy', f.qos_policy_id, 'qos_policy_id'),
    ],
  });
}

export function qosPolicyRecord(q: QosPolicy): ResourceRecord {
  return makeRecord({ kind: 'qos_policy', id: q.id, name: q.name, projectId: q.project_id, fields: q });
}
