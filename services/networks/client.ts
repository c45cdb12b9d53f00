// Typed client for Neutron (networking API v2.0): networks, subnets, subnet pools, ports,
// routers (interfaces, gateway, static routes), security groups and rules, floating IPs, QoS
// policies and rules, extensions and availability zones. Neutron lists everything an admin can
// see across projects, so callers filter by `project_id` when they mean one project.
import { createOnce } from '../common/create-once.js';
import type { ServiceClient, Session } from '../../src/openstack/types.js';
import { collect } from '../common/limit.js';
import { seg, versionedPath } from '../common/api-path.js';
import { orUndefinedIfNotFound } from '../common/http-status.js';
import { waitForStatus, type WaitOptions } from '../common/wait.js';

interface Extra {
  [key: string]: unknown;
}

interface Owned extends Extra {
  id: string;
  name: string;
  project_id: string;
  tenant_id?: string;
  description?: string;
  tags?: string[];
  created_at?: string;
  updated_at?: string;
  revision_number?: number;
}

export interface Network extends Owned {
  status: string;
  admin_state_up: boolean;
  shared: boolean;
  'router:external': boolean;
  subnets: string[];
  mtu?: number;
  port_security_enabled?: boolean;
  qos_policy_id?: string | null;
  availability_zone_hints?: string[];
  availability_zones?: string[];
  is_default?: boolean;
  dns_domain?: string;
  'provider:network_type'?: string;
  'provider:physical_network'?: string | null;
  'provider:segmentation_id'?: number | null;
}

export interface AllocationPool {
  start: string;
  end: string;
}

export interface Subnet extends Owned {
  network_id: string;
  cidr: string;
  ip_version: 4 | 6;
  gateway_ip: string | null;
  enable_dhcp: boolean;
  allocation_pools: AllocationPool[];
  dns_nameservers: string[];
  host_routes: Array<{ destination: string; nexthop: string }>;
  subnetpool_id?: string | null;
  ipv6_ra_mode?: string | null;
  ipv6_address_mode?: string | null;
  segment_id?: string | null;
  service_types?: string[];
}

export interface SubnetPool extends Owned {
  prefixes: string[];
  default_prefixlen: number;
  min_prefixlen: number;
  max_prefixlen: number;
  shared: boolean;
  is_default: boolean;
  ip_version: number;
  address_scope_id?: string | null;
  default_quota?: number | null;
}

export interface FixedIp {
  subnet_id: string;
  ip_address: string;
}

export interface Port extends Owned {
  network_id: string;
  mac_address: string;
  fixed_ips: FixedIp[];
  device_id: string;
  device_owner: string;
  status: string;
  admin_state_up: boolean;
  security_groups: string[];
  allowed_address_pairs: Array<{ ip_address: string; mac_address?: string }>;
  port_security_enabled?: boolean;
  qos_policy_id?: string | null;
  'binding:vnic_type'?: string;
  extra_dhcp_opts?: Array<{ opt_name: string; opt_value: string; ip_version?: number }>;
  dns_name?: string;
}

export interface RouterGatewayInfo {
  network_id: string;
  enable_snat?: boolean;
  external_fixed_ips?: FixedIp[];
}

export interface StaticRoute {
  destination: string;
  nexthop: string;
}

export interface Router extends Owned {
  status: string;
  admin_state_up: boolean;
  external_gateway_info: RouterGatewayInfo | null;
  routes: StaticRoute[];
  distributed?: boolean;
  ha?: boolean;
  availability_zone_hints?: string[];
  availability_zones?: string[];
  flavor_id?: string | null;
}

export interface SecurityGroupRule extends Extra {
  id: string;
  security_group_id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  remote_address_group_id?: string | null;
  description?: string;
  project_id: string;
  normalized_cidr?: string | null;
}

export interface SecurityGroup extends Owned {
  security_group_rules: SecurityGroupRule[];
  stateful?: boolean;
  shared?: boolean;
}

export interface FloatingIp extends Extra {
  id: string;
  floating_ip_address: string;
  floating_network_id: string;
  fixed_ip_address: string | null;
  port_id: string | null;
  router_id: string | null;
  status: string;
  project_id: string;
  description?: string;
  dns_name?: string;
  dns_domain?: string;
  qos_policy_id?: string | null;
  port_forwardings?: unknown[];
  tags?: string[];
}

export interface QosRule extends Extra {
  id: string;
  type: string;
  qos_policy_id?: string;
}

export interface QosPolicy extends Owned {
  shared: boolean;
  is_default?: boolean;
  rules: QosRule[];
}

export interface Extension {
  alias: string;
  name: string;
  description?: string;
  updated?: string;
}

export interface NetworkAvailabilityZone {
  name: string;
  resource: string;
  state: string;
}

export type Filter = Record<string, string | number | boolean | undefined>;

/** Neutron's QoS rule types, as used in `/qos/policies/{id}/<type>_rules`. */
export type QosRuleType = 'bandwidth_limit' | 'dscp_marking' | 'minimum_bandwidth' | 'minimum_packet_rate' | 'packet_rate_limit';

export class NetworkClient {
  constructor(
    readonly http: ServiceClient,
    private readonly pageSize?: number,
  ) {}

  static async open(session: Session, pageSize?: number): Promise<NetworkClient> {
    return new NetworkClient(await session.client('network'), pageSize);
  }

  private p(path: string): string {
    return versionedPath(this.http, '/v2.0', path);
  }

  private list<T>(collection: string, itemsKey: string, filter: Filter = {}): Promise<T[]> {
    return collect(this.http.paginate<T>({ path: this.p(`/${collection}`), itemsKey, searchParams: filter, pageSize: this.pageSize, style: 'neutron' }));
  }
  private async getOne<T>(collection: string, key: string, id: string): Promise<T> {
    return (await this.http.request<Record<string, T>>({ path: this.p(`/${collection}/${seg(id)}`) })).body[key] as T;
  }
  private async createOne<T>(collection: string, key: string, body: unknown): Promise<T> {
    return (await this.http.request<Record<string, T>>({ method: 'POST', path: this.p(`/${collection}`), json: { [key]: body } })).body[key] as T;
  }
  private async updateOne<T>(collection: string, key: string, id: string, changes: unknown): Promise<T> {
    return (await this.http.request<Record<string, T>>({ method: 'PUT', path: this.p(`/${collection}/${seg(id)}`), json: { [key]: changes } })).body[key] as T;
  }
  private async deleteOne(collection: string, id: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: this.p(`/${collection}/${seg(id)}`) });
  }

  // Networks
  listNetworks(filter: Filter = {}): Promise<Network[]> {
    return this.list('networks', 'networks', filter);
  }
  getNetwork(id: string): Promise<Network> {
    return this.getOne('networks', 'network', id);
  }
  createNetwork(network: Partial<Network>): Promise<Network> {
    return this.createOne('networks', 'network', network);
  }
  updateNetwork(id: string, changes: Partial<Network>): Promise<Network> {
    return this.updateOne('networks', 'network', id, changes);
  }
  deleteNetwork(id: string): Promise<void> {
    return this.deleteOne('networks', id);
  }

  // Subnets
  listSubnets(filter: Filter = {}): Promise<Subnet[]> {
    return this.list('subnets', 'subnets', filter);
  }
  getSubnet(id: string): Promise<Subnet> {
    return this.getOne('subnets', 'subnet', id);
  }
  createSubnet(subnet: Partial<Subnet> & { network_id: string; ip_version: 4 | 6 }): Promise<Subnet> {
    return this.createOne('subnets', 'subnet', subnet);
  }
  updateSubnet(id: string, changes: Partial<Subnet>): Promise<Subnet> {
    return this.updateOne('subnets', 'subnet', id, changes);
  }
  deleteSubnet(id: string): Promise<void> {
    return this.deleteOne('subnets', id);
  }

  // Subnet pools
  listSubnetPools(filter: Filter = {}): Promise<SubnetPool[]> {
    return this.list('subnetpools', 'subnetpools', filter);
  }
  getSubnetPool(id: string): Promise<SubnetPool> {
    return this.getOne('subnetpools', 'subnetpool', id);
  }
  createSubnetPool(pool: Partial<SubnetPool> & { name: string; prefixes: string[] }): Promise<SubnetPool> {
    return this.createOne('subnetpools', 'subnetpool', pool);
  }
  updateSubnetPool(id: string, changes: Partial<SubnetPool>): Promise<SubnetPool> {
    return this.updateOne('subnetpools', 'subnetpool', id, changes);
  }
  deleteSubnetPool(id: string): Promise<void> {
    return this.deleteOne('subnetpools', id);
  }

  // Ports
  listPorts(filter: Filter = {}): Promise<Port[]> {
    return this.list('ports', 'ports', filter);
  }
  getPort(id: string): Promise<Port> {
    return this.getOne('ports', 'port', id);
  }
  findPort(id: string): Promise<Port | undefined> {
    return orUndefinedIfNotFound(() => this.getPort(id));
  }
  createPort(port: Partial<Port> & { network_id: string }): Promise<Port> {
    return this.createOne('ports', 'port', port);
  }
  updatePort(id: string, changes: Partial<Port>): Promise<Port> {
    return this.updateOne('ports', 'port', id, changes);
  }
  deletePort(id: string): Promise<void> {
    return this.deleteOne('ports', id);
  }

  // Routers
  listRouters(filter: Filter = {}): Promise<Router[]> {
    return this.list('routers', 'routers', filter);
  }
  getRouter(id: string): Promise<Router> {
    return this.getOne('routers', 'router', id);
  }
  createRouter(router: Partial<Router>): Promise<Router> {
    return this.createOne('routers', 'router', router);
  }
  updateRouter(id: string, changes: Partial<Router>): Promise<Router> {
    return this.updateOne('routers', 'router', id, changes);
  }
  deleteRouter(id: string): Promise<void> {
    return this.deleteOne('routers', id);
  }
  /** Sets (or clears with null) the external gateway. */
  setRouterGateway(id: string, gateway: RouterGatewayInfo | null): Promise<Router> {
    return this.updateRouter(id, { external_gateway_info: gateway });
  }
  /** Replaces the router's static routes. */
  setRouterRoutes(id: string, routes: StaticRoute[]): Promise<Router> {
    return this.updateRouter(id, { routes });
  }
  /**
   * Plugs a subnet or a port into a router. A PUT, but not idempotent: sent again after a lost
   * answer it fails ("Router already has a port on subnet"), so a lost answer is resolved by
   * looking for the interface instead.
   */
  async addRouterInterface(id: string, iface: { subnet_id: string } | { port_id: string }): Promise<{ subnet_id: string; port_id: string; id: string }> {
    return createOnce({
      create: async () => (await this.http.request<{ subnet_id: string; port_id: string; id: string }>({ method: 'PUT', path: this.p(`/routers/${seg(id)}/add_router_interface`), json: iface, retry: false })).body,
      find: async () => {
        const port = (await this.listRouterInterfacePorts(id)).find((p) => ('port_id' in iface ? p.id === iface.port_id : p.fixed_ips.some((ip) => ip.subnet_id === iface.subnet_id)));
        return port ? { subnet_id: port.fixed_ips[0]?.subnet_id ?? '', port_id: port.id, id } : undefined;
      },
    });
  }
  async removeRouterInterface(id: string, iface: { subnet_id: string } | { port_id: string }): Promise<void> {
    await this.http.request({ method: 'PUT', path: this.p(`/routers/${seg(id)}/remove_router_interface`), json: iface });
  }
  /** Ports of a router's interfaces (device_owner network:router_interface*). */
  async listRouterInterfacePorts(routerId: string): Promise<Port[]> {
    const ports = await this.listPorts({ device_id: routerId });
    return ports.filter((p) => isRouterInterfacePort(p));
  }

  // Security groups and rules
  listSecurityGroups(filter: Filter = {}): Promise<SecurityGroup[]> {
    return this.list('security-groups', 'security_groups', filter);
  }
  getSecurityGroup(id: string): Promise<SecurityGroup> {
    return this.getOne('security-groups', 'security_group', id);
  }
  createSecurityGroup(group: { name: string; description?: string; stateful?: boolean; project_id?: string }): Promise<SecurityGroup> {
    return this.createOne('security-groups', 'security_group', group);
  }
  updateSecurityGroup(id: string, changes: { name?: string; description?: string }): Promise<SecurityGroup> {
    return this.updateOne('security-groups', 'security_group', id, changes);
  }
  deleteSecurityGroup(id: string): Promise<void> {
    return this.deleteOne('security-groups', id);
  }
  listSecurityGroupRules(filter: Filter = {}): Promise<SecurityGroupRule[]> {
    return this.list('security-group-rules', 'security_group_rules', filter);
  }
  getSecurityGroupRule(id: string): Promise<SecurityGroupRule> {
    return this.getOne('security-group-rules', 'security_group_rule', id);
  }
  createSecurityGroupRule(rule: Partial<SecurityGroupRule> & { security_group_id: string; direction: 'ingress' | 'egress' }): Promise<SecurityGroupRule> {
    return this.createOne('security-group-rules', 'security_group_rule', rule);
  }
  deleteSecurityGroupRule(id: string): Promise<void> {
    return this.deleteOne('security-group-rules', id);
  }

  // Floating IPs
  listFloatingIps(filter: Filter = {}): Promise<FloatingIp[]> {
    return this.list('floatingips', 'floatingips', filter);
  }
  getFloatingIp(id: string): Promise<FloatingIp> {
    return this.getOne('floatingips', 'floatingip', id);
  }
  createFloatingIp(fip: { floating_network_id: string; port_id?: string; fixed_ip_address?: string; floating_ip_address?: string; description?: string; project_id?: string }): Promise<FloatingIp> {
    return this.createOne('floatingips', 'floatingip', fip);
  }
  /** Associates (port_id) or disassociates (port_id null) a floating IP. */
  updateFloatingIp(id: string, changes: { port_id?: string | null; fixed_ip_address?: string; description?: string }): Promise<FloatingIp> {
    return this.updateOne('floatingips', 'floatingip', id, changes);
  }
  deleteFloatingIp(id: string): Promise<void> {
    return this.deleteOne('floatingips', id);
  }

  // QoS policies and rules
  listQosPolicies(filter: Filter = {}): Promise<QosPolicy[]> {
    return this.list('qos/policies', 'policies', filter);
  }
  getQosPolicy(id: string): Promise<QosPolicy> {
    return this.getOne('qos/policies', 'policy', id);
  }
  createQosPolicy(policy: { name: string; description?: string; shared?: boolean; is_default?: boolean; project_id?: string }): Promise<QosPolicy> {
    return this.createOne('qos/policies', 'policy', policy);
  }
  updateQosPolicy(id: string, changes: { name?: string; description?: string; shared?: boolean; is_default?: boolean }): Promise<QosPolicy> {
    return this.updateOne('qos/policies', 'policy', id, changes);
  }
  deleteQosPolicy(id: string): Promise<void> {
    return this.deleteOne('qos/policies', id);
  }
  createQosRule(policyId: string, type: QosRuleType, rule: Record<string, unknown>): Promise<QosRule> {
    return this.createOne(`qos/policies/${seg(policyId)}/${type}_rules`, `${type}_rule`, rule);
  }
  deleteQosRule(policyId: string, type: QosRuleType, ruleId: string): Promise<void> {
    return this.deleteOne(`qos/policies/${seg(policyId)}/${type}_rules`, ruleId);
  }

  // Discovery
  async listExtensions(): Promise<Extension[]> {
    return (await this.http.request<{ extensions: Extension[] }>({ path: this.p('/extensions') })).body.extensions;
  }
  async hasExtension(alias: string): Promise<boolean> {
    return (await this.listExtensions()).some((e) => e.alias === alias);
  }
  async listAvailabilityZones(filter: Filter = {}): Promise<NetworkAvailabilityZone[]> {
    return (await this.http.request<{ availability_zones: NetworkAvailabilityZone[] }>({ path: this.p('/availability_zones'), searchParams: filter })).body.availability_zones;
  }

  waitForPort(id: string, target: string[] = ['ACTIVE'], opts: WaitOptions = {}): Promise<Port | undefined> {
    return waitForStatus({ ...opts, what: `port ${id}`, get: () => this.findPort(id), status: (p) => p.status, target, failure: [] });
  }
}

export function isRouterInterfacePort(port: Pick<Port, 'device_owner'>): boolean {
  return port.device_owner.startsWith('network:router_interface') || port.device_owner === 'network:ha_router_replicated_interface';
}
