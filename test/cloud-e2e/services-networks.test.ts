// NetworkClient against the real Neutron of the local cloud (demo user): network, subnet,
// router with gateway/interface/static routes, security group and rules, port, floating IP,
// QoS availability, extensions, availability zones, paged listings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkClient, type Network, type Port, type Router, type SecurityGroup, type Subnet } from '../../services/networks/client.js';
import type { Session } from '../../src/openstack/types.js';
import { DEMO, open } from './helpers/access.js';
import { Cleanup, svcName } from './helpers/services.js';

describe('NetworkClient (Neutron)', () => {
  let session: Session;
  let neutron: NetworkClient;
  let network: Network;
  let subnet: Subnet;
  let router: Router;
  let group: SecurityGroup;
  let port: Port;
  const cleanup = new Cleanup();

  beforeAll(async () => {
    session = await open(DEMO);
    neutron = await NetworkClient.open(session, 2);
  });

  afterAll(async () => {
    expect(await cleanup.run()).toEqual([]);
    await session.close();
  });

  it('creates a network and a subnet', async () => {
    network = await neutron.createNetwork({ name: svcName('net'), description: 'pf test' });
    cleanup.add('network', () => neutron.deleteNetwork(network.id));
    subnet = await neutron.createSubnet({ name: svcName('subnet'), network_id: network.id, ip_version: 4, cidr: '10.77.0.0/24', dns_nameservers: ['10.77.0.53'] });
    cleanup.add('subnet', () => neutron.deleteSubnet(subnet.id));
    expect((await neutron.getNetwork(network.id)).subnets).toEqual([subnet.id]);
    const updated = await neutron.updateSubnet(subnet.id, { description: 'changed' });
    expect(updated.description).toBe('changed');
  });

  it('creates a router with the external gateway, an interface and a static route', async () => {
    const [external] = await neutron.listNetworks({ 'router:external': true, name: 'public' });
    expect(external).toBeDefined();
    router = await neutron.createRouter({ name: svcName('router') });
    cleanup.add('router', () => neutron.deleteRouter(router.id));
    await neutron.setRouterGateway(router.id, { network_id: external!.id });
    cleanup.add('router gateway', () => neutron.setRouterGateway(router.id, null));
    const iface = await neutron.addRouterInterface(router.id, { subnet_id: subnet.id });
    cleanup.add('router interface', () => neutron.removeRouterInterface(router.id, { subnet_id: subnet.id }));
    expect(iface.subnet_id).toBe(subnet.id);
    const withRoute = await neutron.setRouterRoutes(router.id, [{ destination: '10.88.0.0/24', nexthop: '10.77.0.10' }]);
    cleanup.add('router routes', () => neutron.setRouterRoutes(router.id, []));
    expect(withRoute.routes).toEqual([{ destination: '10.88.0.0/24', nexthop: '10.77.0.10' }]);
    expect(withRoute.external_gateway_info?.network_id).toBe(external!.id);
    const ports = await neutron.listRouterInterfacePorts(router.id);
    expect(ports.map((p) => p.fixed_ips[0]?.subnet_id)).toEqual([subnet.id]);
  });

  it('creates a security group with rules, incl. a remote-group rule', async () => {
    group = await neutron.createSecurityGroup({ name: svcName('sg'), description: 'pf test' });
    cleanup.add('security group', () => neutron.deleteSecurityGroup(group.id));
    const ssh = await neutron.createSecurityGroupRule({ security_group_id: group.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' });
    const peer = await neutron.createSecurityGroupRule({ security_group_id: group.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 8000, port_range_max: 8100, remote_group_id: group.id });
    const rules = await neutron.listSecurityGroupRules({ security_group_id: group.id }); // page size 2, ≥ 4 rules
    expect(rules.map((r) => r.id)).toEqual(expect.arrayContaining([ssh.id, peer.id]));
    expect(rules.length).toBeGreaterThanOrEqual(4); // + the two default egress rules
    expect((await neutron.getSecurityGroupRule(peer.id)).remote_group_id).toBe(group.id);
    await neutron.deleteSecurityGroupRule(ssh.id);
    expect((await neutron.getSecurityGroup(group.id)).security_group_rules.map((r) => r.id)).not.toContain(ssh.id);
  });

  it('creates a port with a fixed IP and the group, and a floating IP on it', async () => {
    port = await neutron.createPort({ name: svcName('port'), network_id: network.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.77.0.20' }], security_groups: [group.id] });
    cleanup.add('port', () => neutron.deletePort(port.id));
    expect(port.fixed_ips).toEqual([{ subnet_id: subnet.id, ip_address: '10.77.0.20' }]);
    const [external] = await neutron.listNetworks({ 'router:external': true, name: 'public' });
    const fip = await neutron.createFloatingIp({ floating_network_id: external!.id, port_id: port.id, description: 'pf test' });
    cleanup.add('floating ip', () => neutron.deleteFloatingIp(fip.id));
    expect(fip.port_id).toBe(port.id);
    expect(fip.router_id).toBe(router.id);
    const detached = await neutron.updateFloatingIp(fip.id, { port_id: null });
    expect(detached.port_id).toBeNull();
  });

  it('lists the project\'s resources with pages smaller than the item count', async () => {
    const own = { project_id: session.project!.id };
    const [networks, subnets, ports, groups] = await Promise.all([neutron.listNetworks(own), neutron.listSubnets(own), neutron.listPorts(own), neutron.listSecurityGroups(own)]);
    expect(networks.length).toBeGreaterThan(2);
    expect(networks.map((n) => n.id)).toEqual(expect.arrayContaining([network.id]));
    expect(new Set(networks.map((n) => n.id)).size).toBe(networks.length);
    expect(subnets.map((s) => s.id)).toContain(subnet.id);
    expect(ports.length).toBeGreaterThan(2);
    expect(ports.map((p) => p.id)).toContain(port.id);
    expect(groups.map((g) => g.id)).toEqual(expect.arrayContaining([group.id]));
    expect(groups.every((g) => g.project_id === session.project!.id)).toBe(true);
  });

  it('discovers extensions and availability zones; QoS answers per the extension', async () => {
    const extensions = await neutron.listExtensions();
    expect(extensions.map((e) => e.alias)).toEqual(expect.arrayContaining(['router', 'security-group', 'extraroute']));
    const zones = await neutron.listAvailabilityZones();
    expect(zones.length).toBeGreaterThan(0);
    if (await neutron.hasExtension('qos')) {
      const policy = await neutron.createQosPolicy({ name: svcName('qos') });
      cleanup.add('qos policy', () => neutron.deleteQosPolicy(policy.id));
      await neutron.createQosRule(policy.id, 'bandwidth_limit', { max_kbps: 1000, max_burst_kbps: 100 });
      expect((await neutron.getQosPolicy(policy.id)).rules).toHaveLength(1);
    } else {
      await expect(neutron.listQosPolicies()).rejects.toMatchObject({ statusCode: 404 });
    }
  });
});
