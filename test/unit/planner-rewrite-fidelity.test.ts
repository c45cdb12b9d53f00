// The executor-side pure parts: the ID map, rewriting a record's references with new IDs, and
// the fidelity comparison of a snapshot record with the restored resource.
import { describe, expect, it } from 'vitest';
import type { ResourceRecord } from '../../src/model/resource.js';
import { buildPlan, compareFidelity, initialIdMap, parseMapArgs, readSourceId, rewriteRefs, setId, sourceMetadata, sourceTags, type IdMap } from '../../restore-plans/index.js';
import { IDS, loadDemoManifest, otherCloudFacts, sameCloudFacts } from './planner-fixtures/demo-facts.js';

const NEW = {
  project: '0a1b2c3d4e5f40718293a4b5c6d7e8f9',
  net: 'aaaaaaaa-0000-4000-8000-000000000001',
  subnet: 'aaaaaaaa-0000-4000-8000-000000000002',
  sg: 'aaaaaaaa-0000-4000-8000-000000000003',
  port: 'aaaaaaaa-0000-4000-8000-000000000004',
  image: 'aaaaaaaa-0000-4000-8000-000000000005',
  volume: 'aaaaaaaa-0000-4000-8000-000000000006',
  server: 'aaaaaaaa-0000-4000-8000-000000000007',
  flavor: '11111111-2222-4333-8444-555555555555',
  volumeType: '9a9a9a9a-0000-4000-8000-0000000000bb',
};

function record(id: string): ResourceRecord {
  const found = loadDemoManifest().resources.find((r) => r.id === id);
  if (!found) throw new Error(`no ${id} in the fixture`);
  return found;
}

function demoIdMap(): IdMap {
  const map: IdMap = {};
  setId(map, 'project', IDS.project, { id: NEW.project, name: 'demo' });
  setId(map, 'network', IDS.demoNet, { id: NEW.net, name: 'demo-net' });
  setId(map, 'subnet', IDS.demoSubnet, { id: NEW.subnet, name: 'demo-subnet' });
  setId(map, 'security_group', IDS.demoSg, { id: NEW.sg, name: 'demo-sg' });
  setId(map, 'port', IDS.serverPort, { id: NEW.port });
  setId(map, 'image', IDS.image, { id: NEW.image, name: 'demo-image' });
  setId(map, 'volume', IDS.volBlank, { id: NEW.volume, name: 'demo-vol-blank' });
  setId(map, 'server', IDS.server, { id: NEW.server, name: 'demo-server' });
  setId(map, 'flavor', IDS.tinyFlavor, { id: NEW.flavor, name: 'small-1' });
  setId(map, 'keypair', 'demo-key', { id: 'demo-key', name: 'demo-key' });
  setId(map, 'volume_type', IDS.volumeType, { id: NEW.volumeType, name: '__DEFAULT__' });
  return map;
}

describe('rewriteRefs', () => {
  it('rewrites a port’s network, subnet, security group and project IDs, leaving the record untouched', () => {
    const port = record(IDS.serverPort);
    const before = JSON.stringify(port);
    const result = rewriteRefs(port, demoIdMap());
    expect(result.fields).toMatchObject({
      network_id: NEW.net,
      fixed_ips: [{ subnet_id: NEW.subnet, ip_address: '10.10.0.133' }],
      security_groups: [NEW.sg],
      project_id: NEW.project,
      tenant_id: NEW.project,
      mac_address: 'fa:16:3e:3a:7e:30',
    });
    expect(result.unresolved).toEqual([]);
    expect(result.rewritten.map((r) => r.field).sort()).toEqual(['fixed_ips.0.subnet_id', 'network_id', 'project_id', 'security_groups.0', 'tenant_id']);
    expect(JSON.stringify(port)).toBe(before);
  });

  it('rewrites a server: names where the field holds a name (flavor, key, groups), IDs elsewhere', () => {
    const result = rewriteRefs(record(IDS.server), demoIdMap());
    expect(result.fields).toMatchObject({
      flavor: { original_name: 'small-1', vcpus: 1 },
      image: { id: NEW.image },
      key_name: 'demo-key',
      interfaces: [{ port_id: NEW.port }],
      volume_attachments: [{ volumeId: NEW.volume, device: '/dev/vdb' }],
      security_groups: [{ name: 'demo-sg' }],
      tenant_id: NEW.project,
    });
    expect(result.unresolved).toEqual([]);
  });

  it('reports references whose target is not restored yet and leaves them as they were', () => {
    const map = demoIdMap();
    delete map.port;
    const result = rewriteRefs(record(IDS.server), map);
    expect(result.unresolved).toEqual([{ kind: 'port', id: IDS.serverPort, field: 'interfaces.0.port_id' }]);
    expect((result.fields.interfaces as { port_id: string }[])[0]!.port_id).toBe(IDS.serverPort);
  });
});

describe('initialIdMap', () => {
  it('holds the mapped and reused resources before anything runs', () => {
    const facts = otherCloudFacts({ isAdmin: true });
    const plan = buildPlan(loadDemoManifest(), facts, { mappings: parseMapArgs(['network:public=ext-net']) });
    const map = initialIdMap(plan);
    expect(map.flavor?.[IDS.tinyFlavor]).toEqual({ id: NEW.flavor, name: 'small-1' });
    expect(map.network?.[IDS.publicNet]).toEqual({ id: 'e7e7e7e7-0000-4000-8000-0000000000aa', name: 'ext-net' });
    expect(map.project?.[IDS.project]).toEqual({ id: facts.project.id, name: 'demo' });
    expect(map.user?.[IDS.user]).toEqual({ id: '2b2b2b2b2b2b4b2b8b2b2b2b2b2b2b2b', name: 'demo' });
    expect(map.server).toBeUndefined();
    expect(map.security_group?.[IDS.defaultSg]).toBeUndefined(); // reused, but its ID is looked up at apply time
  });
});

describe('restore markers', () => {
  it('are read back from tags or metadata', () => {
    expect(sourceTags('old-1', 'r-1')).toEqual(['pf-src:old-1', 'pf-restore:r-1']);
    expect(readSourceId({ tags: ['web', ...sourceTags('old-1', 'r-1')] })).toBe('old-1');
    expect(readSourceId({ metadata: sourceMetadata('old-2', 'r-1') })).toBe('old-2');
    expect(readSourceId({ metadata: { purpose: 'data' } })).toBeUndefined();
  });
});

/** The demo server as the target cloud reports it after a restore into another cloud. */
function restoredServer(snapshot: ResourceRecord): Record<string, unknown> {
  const f = structuredClone(snapshot.fields) as Record<string, any>;
  Object.assign(f, {
    id: NEW.server,
    tenant_id: NEW.project,
    user_id: 'b0b0b0b0b0b04b0b8b0b0b0b0b0b0b0b',
    hostId: 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    created: '2026-11-22T01:00:00Z',
    updated: '2026-11-22T01:01:00Z',
    'OS-SRV-USG:launched_at': '2026-11-22T01:00:59.000000',
    tags: ['demo', 'backup', ...sourceTags(IDS.server, 'r-test')],
    image: { id: NEW.image, links: [{ rel: 'bookmark', href: 'http://127.0.0.1:18774/images/x' }] },
    links: [{ rel: 'self', href: `http://127.0.0.1:18774/v2.1/servers/${NEW.server}` }],
  });
  f.flavor = { ...f.flavor, original_name: 'small-1' };
  f.addresses = { 'demo-net': [{ version: 4, addr: '10.10.0.133', 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:3a:7e:30' }, { version: 4, addr: '172.24.14.120', 'OS-EXT-IPS:type': 'floating', 'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:3a:7e:30' }] };
  f['os-extended-volumes:volumes_attached'] = [{ id: NEW.volume, delete_on_termination: false }];
  f.volume_attachments = [{ ...f.volume_attachments[0], volumeId: NEW.volume, serverId: NEW.server, attachment_id: 'new-attachment', bdm_uuid: 'new-bdm' }];
  f.interfaces = [{ ...f.interfaces[0], net_id: NEW.net, port_id: NEW.port, fixed_ips: [{ subnet_id: NEW.subnet, ip_address: '10.10.0.133' }] }];
  return f;
}

describe('compareFidelity', () => {
  const facts = otherCloudFacts({ isAdmin: true });
  const plan = buildPlan(loadDemoManifest(), facts, { mappings: parseMapArgs(['network:public=ext-net']) });
  const serverStep = plan.steps[`server:${IDS.server}`]!;
  const snapshot = record(IDS.server);

  it('shows IDs, the mapped flavor, the project and new addresses as mapped, not as differences', () => {
    const report = compareFidelity(snapshot, restoredServer(snapshot), { idMap: demoIdMap(), mappedFields: serverStep.mappedFields });
    expect(report.differences).toEqual([]);
    expect(report.identical).toBe(true);
    const mappedPaths = report.mapped.map((m) => m.path);
    expect(mappedPaths).toEqual(expect.arrayContaining(['flavor.original_name', 'image.id', 'tenant_id', 'interfaces.0.port_id', 'volume_attachments.0.volumeId', 'addresses.demo-net.1.addr']));
    expect(report.mapped.find((m) => m.path === 'flavor.original_name')).toEqual({ path: 'flavor.original_name', from: 'm1.tiny', to: 'small-1' });
    expect(report.ignored).toBeGreaterThan(5);
  });

  it('reports a field that differs, and a flavor that is not the mapped one', () => {
    const restored = restoredServer(snapshot) as Record<string, any>;
    restored.metadata = { role: 'db', owner: 'demo' };
    restored.flavor = { ...restored.flavor, original_name: 'medium-2' };
    restored.locked = true;
    const report = compareFidelity(snapshot, restored, { idMap: demoIdMap(), mappedFields: serverStep.mappedFields });
    expect(report.identical).toBe(false);
    expect(report.differences).toEqual([
      { path: 'flavor.original_name', expected: 'small-1', actual: 'medium-2' },
      { path: 'locked', expected: false, actual: true },
      { path: 'metadata.role', expected: 'web', actual: 'db' },
    ]);
  });

  it('maps the embedded flavor spec of a server restored with a bigger mapped flavor (another cloud), and still reports a third flavor', () => {
    const bigger = buildPlan(loadDemoManifest(), facts, { mappings: parseMapArgs(['network:public=ext-net', 'flavor:m1.tiny=medium-2']) });
    const step = bigger.steps[`server:${IDS.server}`]!;
    expect(step.mappedFields['flavor.original_name']).toEqual({ from: 'm1.tiny', to: 'medium-2' });
    expect(step.mappedFields['flavor.ram']).toMatchObject({ to: 2048 });
    expect(step.mappedFields['flavor.vcpus']).toMatchObject({ to: 2 });
    const restored = restoredServer(snapshot) as Record<string, any>;
    restored.flavor = { ...restored.flavor, original_name: 'medium-2', vcpus: 2, ram: 2048, disk: 10, extra_specs: { 'hw:cpu_policy': 'shared' } };
    const report = compareFidelity(snapshot, restored, { idMap: demoIdMap(), mappedFields: step.mappedFields });
    expect(report.differences).toEqual([]);
    expect(report.mapped.map((m) => m.path)).toEqual(expect.arrayContaining(['flavor.original_name', 'flavor.ram', 'flavor.vcpus', 'flavor.disk']));
    restored.flavor = { ...restored.flavor, original_name: 'small-1', vcpus: 1, ram: 512, disk: 1 };
    const wrong = compareFidelity(snapshot, restored, { idMap: demoIdMap(), mappedFields: step.mappedFields });
    expect(wrong.differences.map((d) => d.path)).toEqual(['flavor.disk', 'flavor.original_name', 'flavor.ram', 'flavor.vcpus']);
  });

  it('reports a reference that points to the wrong restored resource', () => {
    const restored = restoredServer(snapshot) as Record<string, any>;
    restored.image = { id: 'some-other-image' };
    const report = compareFidelity(snapshot, restored, { idMap: demoIdMap(), mappedFields: serverStep.mappedFields });
    expect(report.differences).toEqual([{ path: 'image.id', expected: `${IDS.image} → ${NEW.image}`, actual: 'some-other-image' }]);
  });

  it('compares data by sha256', () => {
    const stream = snapshot.data![0]!;
    const equal = compareFidelity(snapshot, restoredServer(snapshot), { idMap: demoIdMap(), mappedFields: serverStep.mappedFields, restoredData: { [stream.stream]: stream.sha256 } });
    expect(equal.data).toEqual([{ stream: stream.stream, expected: stream.sha256, actual: stream.sha256, verdict: 'equal' }]);
    const different = compareFidelity(snapshot, restoredServer(snapshot), { idMap: demoIdMap(), mappedFields: serverStep.mappedFields, restoredData: { [stream.stream]: '0'.repeat(64) } });
    expect(different.identical).toBe(false);
    expect(different.data[0]!.verdict).toBe('different');
    expect(compareFidelity(snapshot, restoredServer(snapshot), { idMap: demoIdMap() }).data[0]!.verdict).toBe('not-checked');
  });

  it('a volume restored in place keeps its ID; volatile attachment details and transitional states are ignored', () => {
    const volume = record(IDS.volBlank);
    const restored = structuredClone(volume.fields) as Record<string, any>;
    restored.updated_at = '2026-11-22T02:00:00.000000';
    restored.attachments = (restored.attachments as Record<string, unknown>[]).map((a) => ({ ...a, attachment_id: 'new', attached_at: '2026-11-22T02:00:00.000000', host_name: 'other-host' }));
    restored.status = 'attaching';
    const idMap: IdMap = {};
    setId(idMap, 'volume', IDS.volBlank, { id: IDS.volBlank });
    setId(idMap, 'server', IDS.server, { id: IDS.server });
    setId(idMap, 'volume_type', IDS.volumeType, { id: IDS.volumeType });
    const step = buildPlan(loadDemoManifest(), sameCloudFacts({ project: { name: 'demo', id: IDS.project, exists: true } }), { mode: 'in-place' }).steps[`volume:${IDS.volBlank}`]!;
    const report = compareFidelity(volume, restored, { idMap, mappedFields: step.mappedFields });
    expect(report.differences).toEqual([]);
    expect(report.mapped).toEqual([]);
    restored.size = 2;
    expect(compareFidelity(volume, restored, { idMap }).differences).toEqual([{ path: 'size', expected: 1, actual: 2 }]);
  });

  it('lines up set-like ID lists whatever order the new IDs sort in', () => {
    const port = structuredClone(record(IDS.serverPort));
    port.fields.security_groups = [IDS.demoSg, IDS.defaultSg];
    const idMap = demoIdMap();
    setId(idMap, 'security_group', IDS.defaultSg, { id: '00000000-0000-4000-8000-000000000000' });
    const restored = { ...structuredClone(port.fields), security_groups: ['00000000-0000-4000-8000-000000000000', NEW.sg] };
    const report = compareFidelity(port, restored, { idMap });
    expect(report.differences.filter((d) => d.path.startsWith('security_groups'))).toEqual([]);
    expect(report.mapped.filter((m) => m.path.startsWith('security_groups'))).toHaveLength(2);
  });

  it('fields that only the target reports are listed as added, not as differences', () => {
    const port = record(IDS.serverPort);
    const restored = { ...structuredClone(port.fields), id: NEW.port, network_id: NEW.net, fixed_ips: [{ subnet_id: NEW.subnet, ip_address: '10.10.0.133' }], security_groups: [NEW.sg], tenant_id: NEW.project, project_id: NEW.project, dns_name: 'demo-server', 'port_numa_affinity_policy': null };
    const report = compareFidelity(port, restored, { idMap: demoIdMap() });
    expect(report.differences).toEqual([]);
    expect(report.added).toEqual(['dns_name']);
  });
});
