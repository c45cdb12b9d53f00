// Reference extraction from sample API JSON (shapes as the local Zed cloud returns them).
import { describe, expect, it } from 'vitest';
import { portRecord, routerRecord, ruleLabel, securityGroupRecord, securityGroupRuleRecord, subnetRecord, floatingIpRecord } from '../../services/networks/records.js';
import { snapshotRecord, volumeRecord } from '../../services/volumes/records.js';
import { keypairId, serverGroupsByServer, serverRecord } from '../../services/compute/records.js';
import { bdmSnapshotIds, imageRecord } from '../../services/images/records.js';
import { containerRecord, containerOf, objectRecord } from '../../services/objects/records.js';
import { roleAssignmentId, roleAssignmentRecord, projectRecord, applicationCredentialRecord } from '../../services/identity/records.js';
import type { Port, Router, SecurityGroup, SecurityGroupRule, Subnet, FloatingIp } from '../../services/networks/client.js';
import type { Volume, VolumeSnapshot, VolumeType } from '../../services/volumes/client.js';
import type { Flavor, Server } from '../../services/compute/client.js';
import type { Image } from '../../services/images/client.js';
import type { RoleAssignment, Project, ApplicationCredential } from '../../services/identity/client.js';

const P = 'b25f6ae43b2340c99ed87bb875ee798d';

const port: Port = {
  id: 'port-1', name: '', project_id: P, network_id: 'net-1', mac_address: 'fa:16:3e:3a:7e:30',
  fixed_ips: [{ subnet_id: 'sub-1', ip_address: '10.10.0.133' }, { subnet_id: 'sub-6', ip_address: 'fd00::5' }],
  device_id: 'srv-1', device_owner: 'compute:nova', status: 'ACTIVE', admin_state_up: true,
  security_groups: ['sg-1'], allowed_address_pairs: [], qos_policy_id: null,
};

describe('networks records', () => {
  it('port → network, every subnet of its fixed IPs, security groups', () => {
    const r = portRecord(port, { networks: new Map([['net-1', 'demo-net']]) });
    expect(r.refs).toEqual([
      { kind: 'network', id: 'net-1', name: 'demo-net', field: 'network_id' },
      { kind: 'subnet', id: 'sub-1', field: 'fixed_ips.0.subnet_id' },
      { kind: 'subnet', id: 'sub-6', field: 'fixed_ips.1.subnet_id' },
      { kind: 'security_group', id: 'sg-1', field: 'security_groups.0' },
    ]);
    expect(r.projectId).toBe(P);
  });

  it('subnet → network and subnet pool', () => {
    const subnet = { id: 'sub-1', name: 's', project_id: P, network_id: 'net-1', subnetpool_id: 'pool-1', cidr: '10.0.0.0/24', ip_version: 4, gateway_ip: null, enable_dhcp: true, allocation_pools: [], dns_nameservers: [], host_routes: [] } as Subnet;
    expect(subnetRecord(subnet).refs.map((r) => `${r.kind}:${r.id}:${r.field}`)).toEqual(['network:net-1:network_id', 'subnet_pool:pool-1:subnetpool_id']);
  });

  it('router → external network + gateway subnet + subnets of its interface ports', () => {
    const router = {
      id: 'r-1', name: 'demo-router', project_id: P, status: 'ACTIVE', admin_state_up: true, routes: [{ destination: '10.20.0.0/24', nexthop: '10.10.0.5' }],
      external_gateway_info: { network_id: 'ext-1', enable_snat: true, external_fixed_ips: [{ subnet_id: 'ext-sub', ip_address: '172.24.4.10' }] },
    } as Router;
    const iface = { ...port, id: 'port-r', device_id: 'r-1', device_owner: 'network:router_interface', fixed_ips: [{ subnet_id: 'sub-1', ip_address: '10.10.0.1' }] };
    const gatewayPort = { ...port, id: 'port-g', device_id: 'r-1', device_owner: 'network:router_gateway' };
    const r = routerRecord(router, [port, iface, gatewayPort], { networks: new Map([['ext-1', 'public']]) });
    expect(r.refs.map((x) => `${x.kind}:${x.id}:${x.field}`)).toEqual([
      'network:ext-1:external_gateway_info.network_id',
      'subnet:ext-sub:external_gateway_info.external_fixed_ips.0.subnet_id',
      'subnet:sub-1:interfaces.0.subnet_id',
    ]);
    expect(r.refs[0]!.name).toBe('public');
    expect(r.fields['interfaces']).toEqual([{ port_id: 'port-r', subnet_id: 'sub-1', ip_address: '10.10.0.1', device_owner: 'network:router_interface' }]);
  });

  const rule: SecurityGroupRule = {
    id: 'rule-1', security_group_id: 'sg-1', direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 8000, port_range_max: 8100,
    remote_ip_prefix: null, remote_group_id: 'sg-2', project_id: P,
  };

  it('security group rule → its group and the remote group; readable label', () => {
    const r = securityGroupRuleRecord(rule, { securityGroups: new Map([['sg-2', 'web']]) });
    expect(r.refs).toEqual([
      { kind: 'security_group', id: 'sg-1', field: 'security_group_id' },
      { kind: 'security_group', id: 'sg-2', name: 'web', field: 'remote_group_id' },
    ]);
    expect(ruleLabel(rule)).toBe('ingress IPv4 tcp 8000-8100 from group sg-2');
    expect(ruleLabel({ ...rule, protocol: null, port_range_min: null, port_range_max: null, remote_group_id: null, direction: 'egress' })).toBe('egress IPv4 any');
  });

  it('security group keeps only the IDs of its rules (rules are records of their own)', () => {
    const g = { id: 'sg-1', name: 'demo-sg', project_id: P, security_group_rules: [rule] } as SecurityGroup;
    const r = securityGroupRecord(g);
    expect(r.fields['security_group_rules']).toBeUndefined();
    expect(r.fields['security_group_rule_ids']).toEqual(['rule-1']);
  });

  it('floating IP → network, port, router', () => {
    const f = { id: 'fip-1', floating_ip_address: '172.24.4.198', floating_network_id: 'ext-1', fixed_ip_address: '10.10.0.133', port_id: 'port-1', router_id: 'r-1', status: 'ACTIVE', project_id: P } as FloatingIp;
    expect(floatingIpRecord(f).refs.map((r) => r.kind)).toEqual(['network', 'port', 'router']);
    expect(floatingIpRecord({ ...f, port_id: null, router_id: null }).refs.map((r) => r.kind)).toEqual(['network']);
  });
});

describe('volumes records', () => {
  const type = { id: 'type-1', name: '__DEFAULT__', is_public: true } as VolumeType;
  const volume = {
    id: 'vol-1', name: 'demo-vol-from-image', size: 1, status: 'available', volume_type: '__DEFAULT__', bootable: 'true', metadata: {}, attachments: [],
    snapshot_id: 'snap-0', source_volid: null, 'os-vol-tenant-attr:tenant_id': P,
    volume_image_metadata: { image_id: 'img-1', image_name: 'demo-image' },
  } as Volume;

  it('volume → image, snapshot, type (by name when volume_type_id is absent); size in bytes', () => {
    const r = volumeRecord(volume, new Map([['__DEFAULT__', type]]));
    expect(r.refs).toEqual([
      { kind: 'image', id: 'img-1', name: 'demo-image', field: 'volume_image_metadata.image_id' },
      { kind: 'volume_snapshot', id: 'snap-0', field: 'snapshot_id' },
      { kind: 'volume_type', id: 'type-1', name: '__DEFAULT__', field: 'volume_type_id' },
    ]);
    expect(r.size).toBe(2 ** 30);
    expect(r.projectId).toBe(P);
  });

  it('snapshot → volume', () => {
    const s = { id: 'snap-1', name: 'x', volume_id: 'vol-1', size: 2, status: 'available', metadata: {} } as VolumeSnapshot;
    const r = snapshotRecord(s, new Map([['vol-1', 'demo-vol-blank']]));
    expect(r.refs).toEqual([{ kind: 'volume', id: 'vol-1', name: 'demo-vol-blank', field: 'volume_id' }]);
    expect(r.size).toBe(2 * 2 ** 30);
  });
});

describe('compute records', () => {
  const server = {
    id: 'srv-1', name: 'demo-server', status: 'ACTIVE', tenant_id: P, user_id: 'u-demo', metadata: {}, addresses: {},
    flavor: { original_name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0 },
    image: { id: 'img-1' }, key_name: 'demo-key', security_groups: [{ name: 'demo-sg' }, { name: 'unknown' }],
  } as Server;

  it('server → flavor (by name), image, keypair, ports, volumes, server group, security groups', () => {
    const r = serverRecord(server, {
      sessionUserId: 'u-demo',
      flavorsByName: new Map([['m1.tiny', { id: 'fl-1', name: 'm1.tiny' } as Flavor]]),
      securityGroupsByName: new Map([['demo-sg', 'sg-1']]),
      serverGroupsOf: serverGroupsByServer([{ id: 'grp-1', name: 'g', members: ['srv-1', 'srv-2'] }]),
      attachments: [{ id: 'vol-9', serverId: 'srv-1', volumeId: 'vol-9', device: '/dev/vdb' }],
      interfaces: [{ port_id: 'port-1', net_id: 'net-1', mac_addr: 'x', port_state: 'ACTIVE', fixed_ips: [] }],
    });
    expect(r.refs.map((x) => `${x.kind}:${x.id}:${x.field}`)).toEqual([
      'flavor:fl-1:flavor.original_name',
      'image:img-1:image.id',
      'keypair:demo-key:key_name',
      'port:port-1:interfaces.0.port_id',
      'volume:vol-9:volume_attachments.0.volumeId',
      'server_group:grp-1:server_groups.0',
      'security_group:sg-1:security_groups.0.name',
    ]);
    expect(r.fields['volume_attachments']).toHaveLength(1);
  });

  it('boot-from-volume server has no image reference', () => {
    const r = serverRecord({ ...server, image: '' }, { sessionUserId: 'u', flavorsByName: new Map(), securityGroupsByName: new Map(), serverGroupsOf: new Map(), attachments: [], interfaces: [] });
    expect(r.refs.some((x) => x.kind === 'image')).toBe(false);
    // another user's keypair (admin listing) is <user>/<name>
    expect(r.refs.find((x) => x.kind === 'keypair')?.id).toBe('u-demo/demo-key');
  });

  it('keypair IDs: own keys by name, other users\' keys by user/name', () => {
    expect(keypairId('k', 'me', 'me')).toBe('k');
    expect(keypairId('k', undefined, 'me')).toBe('k');
    expect(keypairId('k', 'other', 'me')).toBe('other/k');
  });
});

describe('images records', () => {
  const image = { id: 'img-2', name: 'snap', status: 'active', visibility: 'shared', protected: false, owner: P, min_disk: 0, min_ram: 0, tags: [], size: 1234, base_image_ref: 'img-1', block_device_mapping: '[{"snapshot_id": "snap-1", "source_type": "snapshot"}, {"source_type": "blank"}]' } as Image;

  it('image → member projects, base image, BDM snapshots; size', () => {
    const r = imageRecord(image, [{ image_id: 'img-2', member_id: 'proj-2', status: 'accepted' }]);
    expect(r.refs.map((x) => `${x.kind}:${x.id}:${x.field}`)).toEqual(['project:proj-2:members.0.member_id', 'image:img-1:base_image_ref', 'volume_snapshot:snap-1:block_device_mapping.0.snapshot_id']);
    expect(r.size).toBe(1234);
    expect(bdmSnapshotIds({ ...image, block_device_mapping: 'not json' })).toEqual([]);
  });
});

describe('objects records', () => {
  it('object ID is <container>/<name>; SLO segments and DLO containers are references', () => {
    const listing = { name: 'ünï/big.bin', bytes: 3, hash: 'h', content_type: 'application/octet-stream', last_modified: 't' };
    const slo = objectRecord('c1', listing, { container: 'c1', name: 'ünï/big.bin', contentLength: 3, metadata: {}, staticLargeObject: true }, P, [
      { name: '/segs/slo/seg-0', hash: 'a', bytes: 1 },
      { name: '/segs/slo/seg-1', hash: 'b', bytes: 2 },
    ]);
    expect(slo.id).toBe('c1/ünï/big.bin');
    expect(slo.refs.map((r) => `${r.kind}:${r.id}`)).toEqual(['container:c1', 'object:segs/slo/seg-0', 'object:segs/slo/seg-1']);
    const dlo = objectRecord('c1', { ...listing, name: 'dlo' }, { container: 'c1', name: 'dlo', contentLength: 0, metadata: {}, staticLargeObject: false, objectManifest: 'segs/dlo/' }, P);
    expect(dlo.refs.map((r) => `${r.kind}:${r.id}:${r.field}`)).toEqual(['container:c1:container', 'container:segs:objectManifest']);
    expect(containerOf('seg%20s/x')).toBe('seg s');
  });

  it('container temp-URL keys are withheld; versions location is a reference', () => {
    const r = containerRecord({ name: 'c1', objectCount: 1, bytesUsed: 5, metadata: { color: 'blue', 'temp-url-key': 'secret' }, versionsLocation: 'c1-versions' }, P);
    expect(r.fields['metadata']).toEqual({ color: 'blue' });
    expect(JSON.stringify(r)).not.toContain('secret');
    expect(r.fields['withheld_metadata']).toEqual(['temp-url-key']);
    expect(r.refs).toEqual([{ kind: 'container', id: 'c1-versions', field: 'versionsLocation' }]);
  });
});

describe('identity records', () => {
  const assignment: RoleAssignment = {
    role: { id: 'role-r', name: 'reader' },
    group: { id: 'grp-1', name: 'demo-group', domain: { id: 'default', name: 'Default' } },
    scope: { project: { id: P, name: 'demo' } },
  };

  it('role assignment → group, project, role; stable ID', () => {
    expect(roleAssignmentId(assignment)).toBe(`group:grp-1@project:${P}/role:role-r`);
    const r = roleAssignmentRecord(assignment);
    expect(r.name).toBe('demo-group → reader');
    expect(r.refs.map((x) => x.kind)).toEqual(['group', 'project', 'role']);
  });

  it('project parent is a reference only when it is not the domain', () => {
    expect(projectRecord({ id: P, name: 'demo', domain_id: 'default', parent_id: 'default' } as Project).refs).toEqual([]);
    expect(projectRecord({ id: P, name: 'demo', domain_id: 'default', parent_id: 'p0' } as Project).refs).toEqual([{ kind: 'project', id: 'p0', field: 'parent_id' }]);
  });

  it('application credential secret never reaches the record', () => {
    const cred = { id: 'ac-1', name: 'x', project_id: P, roles: [{ id: 'role-m', name: 'member' }], secret: 'topsecret' } as ApplicationCredential;
    const r = applicationCredentialRecord(cred, 'u-1');
    expect(JSON.stringify(r)).not.toContain('topsecret');
    expect(r.refs.map((x) => x.kind)).toEqual(['user', 'project', 'role']);
  });
});
