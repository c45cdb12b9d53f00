// buildPlan on the real inventory of the seeded demo project: waves, cycle breaking, mappings,
// preflight, image reuse, in-place policies.
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import type { ResourceRecord } from '../../src/model/resource.js';
import { assertPreflight, buildPlan, parseMapArgs, preflight, PreflightFailedError, type Plan } from '../../restore-plans/index.js';
import { everythingExists, IDS, IMAGE_MD5, loadDemoManifest, otherCloudFacts, sameCloudFacts } from './planner-fixtures/demo-facts.js';

function waveOf(plan: Plan, stepId: string): number {
  const index = plan.waves.findIndex((wave) => wave.includes(stepId));
  if (index < 0) throw new Error(`step ${stepId} is in no wave`);
  return index;
}

function expectBefore(plan: Plan, first: string, then: string): void {
  expect(waveOf(plan, first), `${first} before ${then}`).toBeLessThan(waveOf(plan, then));
}

describe('buildPlan: whole demo project into another project of the same cloud', () => {
  const manifest = loadDemoManifest();
  const plan = buildPlan(manifest, sameCloudFacts(), { createdAt: '2026-11-21T23:00:00Z' });

  it('passes the preflight and has one step per restorable resource plus the cycle-breaking steps', () => {
    expect(plan.preflight).toEqual({ ok: true, errors: [] });
    for (const record of manifest.resources) {
      expect(plan.steps[`${record.kind}:${record.id}`], `${record.kind} ${record.name}`).toBeDefined();
    }
    expect(plan.steps[`floating_ip:${IDS.fip}/associate`]).toBeDefined();
    expect(plan.steps[`server:${IDS.server}/attach:${IDS.volBlank}`]).toBeDefined();
    expect(plan.steps[`network:${IDS.publicNet}`]?.action).toBe('map');
    expect(Object.keys(plan.steps)).toHaveLength(plan.waves.flat().length);
  });

  it('orders waves by the coarse stages identity → networks → images → volumes → servers → objects', () => {
    expectBefore(plan, `project:${IDS.project}`, `network:${IDS.demoNet}`);
    expectBefore(plan, `application_credential:${IDS.appCred}`, `network:${IDS.demoNet}`);
    expectBefore(plan, `port:${IDS.serverPort}`, `image:${IDS.image}`);
    expectBefore(plan, `image:${IDS.image}`, `volume:${IDS.volFromImage}`);
    expectBefore(plan, `volume:${IDS.volBlank}`, `server:${IDS.server}`);
    expectBefore(plan, `server:${IDS.server}/attach:${IDS.volBlank}`, 'container:demo-container');
  });

  it('refines the stages by real edges: every dependency runs in an earlier wave', () => {
    for (const step of Object.values(plan.steps)) {
      for (const dep of step.dependsOn) expectBefore(plan, dep, step.id);
    }
    expectBefore(plan, `network:${IDS.demoNet}`, `subnet:${IDS.demoSubnet}`);
    expectBefore(plan, `subnet_pool:${IDS.pool}`, `subnet:${IDS.subnetFromPool}`);
    expectBefore(plan, `subnet:${IDS.demoSubnet}`, `port:${IDS.serverPort}`);
    expectBefore(plan, `volume:${IDS.volBlank}`, `volume_snapshot:${IDS.snapshot}`);
    expectBefore(plan, 'object:demo-segments/slo/seg-0', 'object:demo-container/large-slo.bin');
    expectBefore(plan, 'container:demo-segments', 'object:demo-container/large-dlo.bin');
    expect(plan.steps[`server:${IDS.server}`]!.dependsOn).toEqual(
      expect.arrayContaining([`port:${IDS.serverPort}`, `flavor:${IDS.tinyFlavor}`, `image:${IDS.image}`, 'keypair:demo-key', `security_group:${IDS.demoSg}`]),
    );
    expect(plan.steps[`server:${IDS.serverUd}`]!.dependsOn).toContain(`server_group:${IDS.serverGroup}`);
  });

  it('is deterministic: the same inputs give the same plan', () => {
    const again = buildPlan(loadDemoManifest(), sameCloudFacts(), { createdAt: '2026-11-21T23:00:00Z' });
    expect(JSON.stringify(again)).toBe(JSON.stringify(plan));
  });

  it('breaks the router cycle: the router has its gateway, the interface is a step after router and subnet', () => {
    const router = plan.steps[`router:${IDS.router}`]!;
    expect([...router.dependsOn].sort()).toEqual([`network:${IDS.publicNet}`, `project:${IDS.project}`]);
    expect(router.dependsOn.some((d) => d.startsWith('subnet:'))).toBe(false);
    const iface = plan.steps[`port:${IDS.routerPort}`]!;
    expect(iface.operation).toBe('router-interface');
    expect(iface.params).toMatchObject({ router: IDS.router, port: IDS.routerPort, subnets: [IDS.demoSubnet] });
    expect(iface.dependsOn).toEqual(expect.arrayContaining([`router:${IDS.router}`, `subnet:${IDS.demoSubnet}`]));
    // the router's own interface list does not add a second interface step for the same subnet
    expect(Object.keys(plan.steps).filter((id) => id.startsWith(`router:${IDS.router}/interface:`))).toEqual([]);
  });

  it('creates the floating IP early and associates it after its port and the router interface of its subnet', () => {
    const fip = plan.steps[`floating_ip:${IDS.fip}`]!;
    expect(fip.dependsOn).toContain(`network:${IDS.publicNet}`);
    expect(fip.dependsOn.some((d) => d.startsWith('port:'))).toBe(false);
    const associate = plan.steps[`floating_ip:${IDS.fip}/associate`]!;
    expect(associate.operation).toBe('floating-ip-associate');
    expect(associate.params).toEqual({ floatingIp: IDS.fip, port: IDS.serverPort, fixedIp: '10.10.0.133' });
    expect(associate.dependsOn).toEqual(expect.arrayContaining([`floating_ip:${IDS.fip}`, `port:${IDS.serverPort}`, `port:${IDS.routerPort}`]));
  });

  it('puts all security groups before the rules that point at groups', () => {
    const rule = plan.steps[`security_group_rule:${IDS.remoteGroupRule}`]!;
    expect(rule.dependsOn).toContain(`security_group:${IDS.demoSg}`);
    const groupWaves = Object.values(plan.steps).filter((s) => s.kind === 'security_group').map((s) => waveOf(plan, s.id));
    const ruleWaves = Object.values(plan.steps).filter((s) => s.kind === 'security_group_rule').map((s) => waveOf(plan, s.id));
    expect(Math.max(...groupWaves)).toBeLessThan(Math.min(...ruleWaves));
    expect(plan.steps[`security_group:${IDS.demoSg}`]!.dependsOn.some((d) => d.startsWith('security_group'))).toBe(false);
  });

  it('attaches the data volume in its own step after server and volume (with the device)', () => {
    const attach = plan.steps[`server:${IDS.server}/attach:${IDS.volBlank}`]!;
    expect(attach).toMatchObject({ operation: 'volume-attach', action: 'create', params: { server: IDS.server, volume: IDS.volBlank, device: '/dev/vdb' } });
    expect(attach.dependsOn).toEqual(expect.arrayContaining([`server:${IDS.server}`, `volume:${IDS.volBlank}`]));
    expect(plan.steps[`server:${IDS.server}`]!.dependsOn).not.toContain(`volume:${IDS.volBlank}`);
    expect(plan.steps[`server:${IDS.server}`]!.params).toMatchObject({ ports: [IDS.serverPort] });
  });

  it('skips the ports Neutron makes itself and reuses the project default group', () => {
    expect(plan.steps[`port:${IDS.dhcpPort}`]).toMatchObject({ action: 'skip', reason: expect.stringContaining('network:dhcp') });
    expect(plan.steps[`port:${IDS.dhcpPortV6}`]!.action).toBe('skip');
    expect(plan.steps[`security_group:${IDS.defaultSg}`]!.action).toBe('reuse');
  });

  it('maps what lives outside the project and counts the data to upload', () => {
    expect(plan.mappings.flavor['m1.tiny']).toEqual({ to: 'm1.tiny', toId: IDS.tinyFlavor, by: 'name' });
    expect(plan.mappings.network.public).toEqual({ to: 'public', toId: IDS.publicNet, by: 'id' });
    expect(plan.mappings.volume_type.__DEFAULT__).toMatchObject({ to: '__DEFAULT__', by: 'id' });
    expect(plan.mappings.role.member).toMatchObject({ to: 'member', toId: IDS.memberRole });
    expect(plan.mappings.project).toEqual({ from: { id: IDS.project, name: 'demo' }, to: { name: 'demo-copy', id: '7d1c0ffee0a94f4f8d3b5d1e2f3a4b5c', exists: true } });
    const dataBytes = manifest.resources.flatMap((r) => r.data ?? []).reduce((sum, d) => sum + d.size, 0);
    expect(plan.totals.bytesToTransfer).toBe(dataBytes);
    expect(plan.steps[`image:${IDS.image}`]!.data.bytes).toBe(50331648);
    expect(plan.steps[`server:${IDS.server}`]!.mappedFields.tenant_id).toEqual({ from: IDS.project, to: '7d1c0ffee0a94f4f8d3b5d1e2f3a4b5c' });
    expect(plan.totals.actions.create + plan.totals.actions.reuse + plan.totals.actions.skip + plan.totals.actions.map + plan.totals.actions.update).toBe(plan.totals.steps);
  });

  it('states what cannot be restored as it was, per step', () => {
    const codes = (id: string) => plan.steps[id]!.notes.map((n) => n.code);
    expect(codes(`application_credential:${IDS.appCred}`)).toContain('secret-not-restored');
    expect(codes('keypair:demo-key')).toContain('public-key-only');
    expect(codes(`volume_snapshot:${IDS.snapshot}`)).toContain('snapshot-content');
    expect(codes(`floating_ip:${IDS.fip}`)).toContain('floating-ip-address');
    expect(codes(`server:${IDS.serverUd}`)).toContain('server-state');
  });
});

describe('buildPlan: into another cloud', () => {
  const manifest = loadDemoManifest();

  it('reports every unsatisfiable mapping in the preflight, and assertPreflight stops with exit code 12', () => {
    const plan = buildPlan(manifest, otherCloudFacts({ flavors: [{ id: 'f-big', name: 'xlarge', vcpus: 8, ram: 16384, disk: 160 }] }));
    expect(plan.preflight.ok).toBe(false);
    const codes = plan.preflight.errors.map((e) => `${e.code}:${e.mapping?.from ?? e.stepId}`);
    expect(codes).toEqual(expect.arrayContaining(['unmapped-flavor:m1.tiny', 'unmapped-network:public', `needs-admin:flavor:${IDS.privateFlavor}`]));
    const flavorError = plan.preflight.errors.find((e) => e.code === 'unmapped-flavor')!;
    expect(flavorError.message).toContain('1 vCPU, 512 MiB RAM, 1 GB disk');
    expect(flavorError.message).toContain('server demo-server');
    expect(flavorError.hint).toContain('--map flavor:m1.tiny=<target flavor>; target flavors: xlarge');
    expect(preflight(plan).ok).toBe(false);
    let thrown: unknown;
    try {
      assertPreflight(plan);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PreflightFailedError);
    expect((thrown as PreflightFailedError).exitCode).toBe(ExitCode.preflight);
    expect((thrown as Error).message).toContain('nothing was changed');
  });

  it('restores a volume with its own data although the image it was made from is gone (a warning, not a preflight error)', () => {
    const withoutImage = { ...manifest, resources: manifest.resources.filter((r) => !(r.kind === 'image' && r.id === IDS.image)) };
    const volume = withoutImage.resources.find((r) => r.id === IDS.volFromImage)!;
    expect(volume.refs.some((ref) => ref.kind === 'image' && ref.id === IDS.image)).toBe(true);
    expect((volume.data ?? []).length).toBeGreaterThan(0);
    const plan = buildPlan(withoutImage, otherCloudFacts({ images: [] }), { createdAt: '2026-11-21T23:00:00Z' });
    expect(plan.preflight.errors.filter((e) => e.code === 'unmapped-image')).toEqual([]);
    expect(plan.steps[`volume:${IDS.volFromImage}`]!.notes.map((n) => n.code)).toContain('unresolved-soft');
  });

  it('maps a flavor by exact vCPU/RAM/disk and an external network by --map', () => {
    const rules = parseMapArgs(['network:public=ext-net']);
    const plan = buildPlan(manifest, otherCloudFacts({ isAdmin: true }), { mappings: rules });
    expect(plan.preflight.errors).toEqual([]);
    expect(plan.mappings.flavor['m1.tiny']).toMatchObject({ to: 'small-1', toId: '11111111-2222-4333-8444-555555555555', by: 'spec' });
    expect(plan.mappings.network.public).toEqual({ to: 'ext-net', toId: 'e7e7e7e7-0000-4000-8000-0000000000aa', by: 'explicit' });
    const server = plan.steps[`server:${IDS.server}`]!;
    expect(server.mappedFields['flavor.original_name']).toEqual({ from: 'm1.tiny', to: 'small-1' });
    expect(plan.steps[`router:${IDS.router}`]!.mappedFields['external_gateway_info.network_id']).toEqual({ from: IDS.publicNet, to: 'e7e7e7e7-0000-4000-8000-0000000000aa' });
    expect(plan.steps[`floating_ip:${IDS.fip}`]!.mappedFields.floating_ip_address).toEqual({ from: '172.24.4.198', to: null });
    expect(plan.steps[`floating_ip:${IDS.fip}`]!.notes.find((n) => n.code === 'floating-ip-address')?.level).toBe('warning');
    // the private flavor has no twin: as admin it is created
    expect(plan.steps[`flavor:${IDS.privateFlavor}`]!.action).toBe('create');
    expect(plan.mappings.cloud).toEqual({ from: 'devcloud-demo', to: 'devcloud-two-demo', same: false });
    expect(plan.notes.map((n) => n.code)).toContain('other-cloud');
  });

  it('uses an explicit flavor mapping and says when the spec differs; a mapping to nothing is an error', () => {
    const ok = buildPlan(manifest, otherCloudFacts({ isAdmin: true }), { mappings: parseMapArgs(['flavor:m1.tiny=medium-2', 'network:public=ext-net']) });
    expect(ok.mappings.flavor['m1.tiny']).toMatchObject({ to: 'medium-2', by: 'explicit', note: expect.stringContaining('2 vCPU') });
    const bad = buildPlan(manifest, otherCloudFacts({ isAdmin: true }), { mappings: parseMapArgs(['flavor:m1.tiny=huge', 'network:public=ext-net', 'az:nova=zone-9', 'flavor:m9.none=small-1']) });
    expect(bad.preflight.errors.map((e) => e.code)).toEqual(expect.arrayContaining(['mapping-target-missing']));
    expect(bad.preflight.errors.find((e) => e.mapping?.kind === 'flavor')?.message).toContain('no flavor "huge"');
    expect(bad.preflight.errors.find((e) => e.mapping?.kind === 'availability_zone')?.message).toContain('zone-9');
    expect(bad.notes.find((n) => n.code === 'unused-mapping')?.message).toContain('m9.none');
  });

  it('reuses a target image with the same checksum instead of uploading it', () => {
    const facts = otherCloudFacts({ isAdmin: true, images: [{ id: 'aaaa0000-1111-4222-8333-444455556666', name: 'golden', checksum: IMAGE_MD5, status: 'active' }] });
    const plan = buildPlan(manifest, facts, { mappings: parseMapArgs(['network:public=ext-net']) });
    const image = plan.steps[`image:${IDS.image}`]!;
    expect(image).toMatchObject({ action: 'map', targetId: 'aaaa0000-1111-4222-8333-444455556666', targetName: 'golden', mapping: { kind: 'image', from: 'demo-image' } });
    expect(image.data.bytes).toBe(0);
    expect(plan.mappings.image['demo-image']).toMatchObject({ by: 'checksum', toId: 'aaaa0000-1111-4222-8333-444455556666' });
    expect(plan.totals.bytesAvoided).toBeGreaterThanOrEqual(50331648);
    const without = buildPlan(manifest, facts, { mappings: parseMapArgs(['network:public=ext-net']), reuseImagesByChecksum: false });
    expect(without.steps[`image:${IDS.image}`]!.action).toBe('create');
  });

  it('does not reuse another project’s private image that an admin happens to see', () => {
    const foreign = { id: 'bbbb0000-1111-4222-8333-444455556666', name: 'demo-image', checksum: IMAGE_MD5, status: 'active', visibility: 'private', owner: IDS.project };
    const facts = sameCloudFacts({ isAdmin: true, images: [foreign] });
    expect(buildPlan(manifest, facts).steps[`image:${IDS.image}`]!.action).toBe('create');
    const shared = buildPlan(manifest, sameCloudFacts({ isAdmin: true, images: [{ ...foreign, visibility: 'public' }] }));
    expect(shared.steps[`image:${IDS.image}`]).toMatchObject({ action: 'map', targetId: foreign.id });
  });

  it('keeps the project’s own image in place instead of mapping it to itself', () => {
    const home = sameCloudFacts({
      project: { name: 'demo', id: IDS.project, exists: true },
      images: [{ id: IDS.image, name: 'demo-image', checksum: IMAGE_MD5, status: 'active', visibility: 'private', owner: IDS.project }],
      existing: [{ kind: 'image', id: IDS.image, name: 'demo-image' }],
    });
    const plan = buildPlan(manifest, home, { mode: 'in-place' });
    expect(plan.steps[`image:${IDS.image}`]).toMatchObject({ action: 'skip', targetId: IDS.image });
    expect(plan.mappings.image['demo-image']).toBeUndefined();
  });

  it('creates a user the target lacks (admin), saying that its password is not restored', () => {
    const plan = buildPlan(manifest, otherCloudFacts({ isAdmin: true, users: [] }), { mappings: parseMapArgs(['network:public=ext-net']) });
    expect(plan.steps[`user:${IDS.user}`]).toMatchObject({ action: 'create', notes: [expect.objectContaining({ code: 'password-not-restored', level: 'warning' })] });
    const mapped = buildPlan(manifest, otherCloudFacts({ isAdmin: true }), { mappings: parseMapArgs(['network:public=ext-net', 'user:demo=demo']) });
    expect(mapped.steps[`user:${IDS.user}`]).toMatchObject({ action: 'map', targetId: '2b2b2b2b2b2b4b2b8b2b2b2b2b2b2b2b', notes: [] });
    const asMember = buildPlan(manifest, otherCloudFacts({ users: [] }), { mappings: parseMapArgs(['network:public=ext-net']) });
    expect(asMember.preflight.errors.find((e) => e.stepId === `user:${IDS.user}`)?.code).toBe('needs-admin');
  });

  it('uses role names unchecked when the target roles cannot be listed (member)', () => {
    const plan = buildPlan(manifest, sameCloudFacts({ roles: [] }));
    expect(plan.preflight.ok).toBe(true);
    expect(plan.mappings.role.member).toMatchObject({ to: 'member', by: 'name', note: expect.stringContaining('not checked') });
  });

  it('lets the target choose the availability zone with an empty mapping', () => {
    const facts = otherCloudFacts({ isAdmin: true, availabilityZones: { compute: ['az-a'], volume: ['az-a'] } });
    const failing = buildPlan(manifest, facts, { mappings: parseMapArgs(['network:public=ext-net']) });
    expect(failing.preflight.errors.find((e) => e.code === 'unmapped-availability-zone')?.hint).toContain('compute: az-a');
    const plan = buildPlan(manifest, facts, { mappings: parseMapArgs(['network:public=ext-net', 'az:nova=']) });
    expect(plan.preflight.ok).toBe(true);
    expect(plan.mappings.availability_zone.nova).toMatchObject({ to: '', by: 'explicit' });
  });
});

describe('buildPlan: addresses and projects', () => {
  const manifest = loadDemoManifest();

  it('asks for the same floating IP address only when restoring into the snapshot’s own project', () => {
    const home = buildPlan(manifest, sameCloudFacts({ project: { name: 'demo', id: IDS.project, exists: true } }), { mode: 'in-place' });
    expect(home.steps[`floating_ip:${IDS.fip}`]!.params).toEqual({ keepAddress: true });
    expect(home.steps[`floating_ip:${IDS.fip}`]!.mappedFields.floating_ip_address).toBeUndefined();
    const copy = buildPlan(manifest, sameCloudFacts());
    const fip = copy.steps[`floating_ip:${IDS.fip}`]!;
    expect(fip.params).toEqual({ keepAddress: false });
    expect(fip.mappedFields.floating_ip_address).toEqual({ from: '172.24.4.198', to: null });
    expect(fip.notes.find((n) => n.code === 'floating-ip-address')).toMatchObject({ level: 'warning', message: expect.stringContaining('source project may still hold it') });
    expect(copy.steps[`server:${IDS.server}`]!.mappedFields['addresses.demo-net.1.addr']).toEqual({ from: '172.24.4.198', to: null });
  });

  it('a project that does not exist is created (admin) and its ID is left to the target', () => {
    const facts = sameCloudFacts({ isAdmin: true, project: { name: 'demo-new', exists: false } });
    const plan = buildPlan(manifest, facts);
    expect(plan.steps[`project:${IDS.project}`]).toMatchObject({ action: 'create', targetName: 'demo-new', mappedFields: { name: { from: 'demo', to: 'demo-new' } } });
    expect(plan.steps[`server:${IDS.server}`]!.mappedFields.tenant_id).toEqual({ from: IDS.project, to: null });
    expect(plan.preflight.ok).toBe(true);
    const asMember = buildPlan(manifest, { ...facts, isAdmin: false });
    expect(asMember.preflight.errors.find((e) => e.code === 'needs-admin' && e.stepId === `project:${IDS.project}`)?.message).toContain('creating a project needs the admin role');
  });

  it('refuses facts gathered for another project than the one planned', () => {
    expect(() => buildPlan(manifest, sameCloudFacts(), { targetProject: 'demo-other' })).toThrow(/facts describe project "demo-copy"/);
  });
});

describe('buildPlan: selective restore', () => {
  const manifest = loadDemoManifest();

  it('--only server:demo-server restores the server and exactly its closure', () => {
    const plan = buildPlan(manifest, sameCloudFacts(), { only: ['server:demo-server'] });
    const demoSgRules = manifest.resources
      .filter((r) => r.kind === 'security_group_rule' && r.refs.some((ref) => ref.field === 'security_group_id' && ref.id === IDS.demoSg))
      .map((r) => `security_group_rule:${r.id}`);
    expect(demoSgRules).toHaveLength(6);
    expect(Object.keys(plan.steps).sort()).toEqual(
      [
        `project:${IDS.project}`,
        `server:${IDS.server}`,
        `server:${IDS.server}/attach:${IDS.volBlank}`,
        `port:${IDS.serverPort}`,
        `network:${IDS.demoNet}`,
        `subnet:${IDS.demoSubnet}`,
        `security_group:${IDS.demoSg}`,
        ...demoSgRules,
        `flavor:${IDS.tinyFlavor}`,
        `image:${IDS.image}`,
        'keypair:demo-key',
        `volume:${IDS.volBlank}`,
        `volume_type:${IDS.volumeType}`,
        `floating_ip:${IDS.fip}`,
        `floating_ip:${IDS.fip}/associate`,
        `port:${IDS.routerPort}`,
        `router:${IDS.router}`,
        `network:${IDS.publicNet}`,
      ].sort(),
    );
    expect(plan.only).toEqual(['server:demo-server']);
    expect(plan.preflight.ok).toBe(true);
    expect(Object.keys(plan.mappings.flavor)).toEqual(['m1.tiny']);
  });

  it('reuses what already exists in the target', () => {
    const existing = [
      { kind: 'network' as const, id: 'new-net-id', name: 'demo-net' },
      { kind: 'security_group' as const, id: 'new-sg-id', name: 'demo-sg', fields: { tags: [`pf-src:${IDS.demoSg}`] }, sourceId: IDS.demoSg },
    ];
    const plan = buildPlan(manifest, sameCloudFacts({ existing }), { only: ['server:demo-server'] });
    expect(plan.steps[`network:${IDS.demoNet}`]).toMatchObject({ action: 'reuse', targetId: 'new-net-id' });
    expect(plan.steps[`security_group:${IDS.demoSg}`]).toMatchObject({ action: 'reuse', targetId: 'new-sg-id', reason: expect.stringContaining('restore-marker') });
    expect(plan.steps[`server:${IDS.server}`]!.action).toBe('create');
  });

  it('container:NAME brings its objects and the containers their manifests point to', () => {
    const plan = buildPlan(manifest, sameCloudFacts(), { only: ['container:demo-container'] });
    const ids = Object.keys(plan.steps);
    expect(ids).toContain('object:demo-container/large-slo.bin');
    expect(ids).toContain('object:demo-segments/slo/seg-1');
    expect(ids).toContain('container:demo-segments');
    expect(ids).not.toContain('object:demo-segments/dlo/seg-0');
    expect(ids.some((id) => id.startsWith('server:') || id.startsWith('network:'))).toBe(false);
  });

  it('network:NAME brings its subnets; an unknown selector is a not-found error naming what exists', () => {
    const plan = buildPlan(manifest, sameCloudFacts(), { only: ['network:demo-net2'] });
    expect(Object.keys(plan.steps)).toEqual(expect.arrayContaining([`subnet:${IDS.subnetV6}`, `subnet:${IDS.subnetFromPool}`, `subnet_pool:${IDS.pool}`]));
    expect(() => buildPlan(manifest, sameCloudFacts(), { only: ['server:web-1'] })).toThrow(/server:web-1: no such resource.*demo-server/);
    try {
      buildPlan(manifest, sameCloudFacts(), { only: ['server:web-1'] });
    } catch (err) {
      expect((err as { exitCode: number }).exitCode).toBe(ExitCode.notFound);
    }
  });
});

describe('buildPlan: in place', () => {
  const manifest = loadDemoManifest();
  const home = { project: { name: 'demo', id: IDS.project, exists: true } };

  it('skips everything that still exists by default', () => {
    const plan = buildPlan(manifest, sameCloudFacts({ ...home, existing: everythingExists(manifest) }), { mode: 'in-place' });
    expect(plan.preflight.ok).toBe(true);
    expect(plan.totals.actions.create).toBe(0);
    expect(plan.totals.bytesToTransfer).toBe(0);
    expect(plan.steps[`server:${IDS.server}`]).toMatchObject({ action: 'skip', targetId: IDS.server });
    expect(plan.steps[`server:${IDS.server}/attach:${IDS.volBlank}`]!.action).toBe('skip');
    expect(plan.steps[`floating_ip:${IDS.fip}/associate`]!.action).toBe('skip');
  });

  it('overwrites with --overwrite: servers rebuilt, volumes replaced, immutable kinds kept with a note', () => {
    const plan = buildPlan(manifest, sameCloudFacts({ ...home, existing: everythingExists(manifest) }), { mode: 'in-place', overwrite: 'overwrite' });
    expect(plan.steps[`server:${IDS.server}`]).toMatchObject({ action: 'update', update: 'rebuild', targetId: IDS.server });
    expect(plan.steps[`server:${IDS.server}`]!.data.bytes).toBe(2 ** 30);
    expect(plan.steps[`volume:${IDS.volBlank}`]).toMatchObject({ action: 'update', update: 'replace' });
    expect(plan.steps['object:demo-container/blob.bin']).toMatchObject({ action: 'update', update: 'replace-data' });
    expect(plan.steps[`network:${IDS.demoNet}`]).toMatchObject({ action: 'update', update: 'update-fields' });
    expect(plan.steps['keypair:demo-key']).toMatchObject({ action: 'skip', notes: [expect.objectContaining({ code: 'not-overwritable' })] });
    expect(plan.steps[`server:${IDS.server}`]!.notes.map((n) => n.code)).toContain('rebuild');
  });

  it('says when a kept object holds other bytes than the backup', () => {
    const existing = everythingExists(manifest).map((e) => (e.id === 'demo-container/blob.bin' ? { ...e, id: e.id, fields: { ...e.fields, hash: '0123456789abcdef0123456789abcdef' } } : e));
    const plan = buildPlan(manifest, sameCloudFacts({ ...home, existing }), { mode: 'in-place' });
    const blob = plan.steps['object:demo-container/blob.bin']!;
    expect(blob.action).toBe('skip');
    expect(blob.notes).toEqual([expect.objectContaining({ level: 'warning', code: 'content-differs', message: expect.stringContaining('--overwrite') })]);
    expect(plan.steps['object:demo-container/hello.txt']!.notes).toEqual([]);
  });

  it('recreates what was deleted and reuses what is left', () => {
    const gone = new Set([`server:${IDS.server}`, `volume:${IDS.volBlank}`, `port:${IDS.serverPort}`, `floating_ip:${IDS.fip}`]);
    const existing = everythingExists(manifest).filter((e) => !gone.has(`${e.kind}:${e.id}`));
    const plan = buildPlan(manifest, sameCloudFacts({ ...home, existing }), { mode: 'in-place' });
    expect(plan.steps[`server:${IDS.server}`]!.action).toBe('create');
    expect(plan.steps[`volume:${IDS.volBlank}`]!.action).toBe('create');
    expect(plan.steps[`server:${IDS.server}/attach:${IDS.volBlank}`]!.action).toBe('create');
    expect(plan.steps[`floating_ip:${IDS.fip}/associate`]!.action).toBe('create');
    expect(plan.steps[`network:${IDS.demoNet}`]!.action).toBe('skip');
    expect(plan.steps[`server:${IDS.serverUd}`]!.action).toBe('skip');
    expect(plan.totals.bytesToTransfer).toBe(2 * 2 ** 30);
  });

  it('a failed resource in the snapshot is skipped, and what needs it is a preflight error', () => {
    const broken = loadDemoManifest();
    const volume = broken.resources.find((r) => r.id === IDS.volBlank)!;
    volume.status = 'failed';
    volume.reason = 'volume in error state';
    const plan = buildPlan(broken, sameCloudFacts());
    expect(plan.steps[`volume:${IDS.volBlank}`]).toMatchObject({ action: 'skip', reason: expect.stringContaining('volume in error state') });
    const codes = plan.preflight.errors.map((e) => `${e.code}@${e.stepId}`);
    expect(codes).toEqual(expect.arrayContaining([`dependency-unavailable@volume_snapshot:${IDS.snapshot}`, `dependency-unavailable@server:${IDS.server}`]));
  });
});

describe('buildPlan: cycles', () => {
  const base = () => loadDemoManifest();
  const group = (id: string, name: string, remote: string): ResourceRecord => ({
    kind: 'security_group',
    id,
    name,
    projectId: IDS.project,
    fields: {
      id,
      name,
      project_id: IDS.project,
      security_group_rules: [{ id: `${id}-r`, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_group_id: remote, security_group_id: id }],
    },
    refs: [{ kind: 'security_group', id: remote, name: 'peer', field: 'security_group_rules.0.remote_group_id' }],
    status: 'ok',
  });

  it('groups whose embedded rules point at each other: both groups first, then each rule set', () => {
    const manifest = base();
    manifest.resources.push(group('sg-a', 'web', 'sg-b'), group('sg-b', 'db', 'sg-a'));
    const plan = buildPlan(manifest, sameCloudFacts());
    expect(plan.preflight.errors).toEqual([]);
    const rulesA = plan.steps['security_group:sg-a/rules']!;
    expect(rulesA.operation).toBe('security-group-rules');
    expect(rulesA.dependsOn).toEqual(expect.arrayContaining(['security_group:sg-a', 'security_group:sg-b']));
    expectBefore(plan, 'security_group:sg-a', 'security_group:sg-b/rules');
    expectBefore(plan, 'security_group:sg-b', 'security_group:sg-a/rules');
  });

  it('a true cycle is reported by the preflight, naming its steps', () => {
    const manifest = base();
    const a = manifest.resources.find((r) => r.id === IDS.volBlank)!;
    const b = manifest.resources.find((r) => r.id === IDS.volFromImage)!;
    a.refs.push({ kind: 'volume', id: b.id, field: 'source_volid' });
    b.refs.push({ kind: 'volume', id: a.id, field: 'source_volid' });
    const plan = buildPlan(manifest, sameCloudFacts());
    const cycle = plan.preflight.errors.find((e) => e.code === 'dependency-cycle');
    expect(cycle?.message).toContain(`volume:${IDS.volBlank}`);
    expect(cycle?.message).toContain(`volume:${IDS.volFromImage}`);
  });
});

describe('buildPlan: identity of an admin backup', () => {
  // shapes as services/identity/records.ts makes them from Keystone's role_assignments?include_names
  const aliceId = 'a11ce000000000000000000000000001';
  const opsId = '0b5000000000000000000000000000g1';
  const assignment = (actor: 'user' | 'group', actorId: string, actorName: string): ResourceRecord => ({
    kind: 'role_assignment',
    id: `${actor}:${actorId}@project:${IDS.project}/role:${IDS.memberRole}`,
    name: `${actorName} → member`,
    projectId: IDS.project,
    fields: { role: { id: IDS.memberRole, name: 'member' }, [actor]: { id: actorId, name: actorName }, scope: { project: { id: IDS.project, name: 'demo' } } },
    refs: [
      { kind: actor, id: actorId, field: `${actor}.id`, name: actorName },
      { kind: 'project', id: IDS.project, field: 'scope.project.id', name: 'demo' },
      { kind: 'role', id: IDS.memberRole, field: 'role.id', name: 'member' },
    ],
    status: 'ok',
  });
  const withIdentity = () => {
    const manifest = loadDemoManifest();
    manifest.resources.push(
      { kind: 'user', id: aliceId, name: 'alice', fields: { id: aliceId, name: 'alice', domain_id: 'default', enabled: true, default_project_id: IDS.project }, refs: [{ kind: 'project', id: IDS.project, field: 'default_project_id' }], status: 'ok' },
      { kind: 'group', id: opsId, name: 'ops', fields: { id: opsId, name: 'ops', domain_id: 'default', members: [aliceId] }, refs: [{ kind: 'user', id: aliceId, field: 'members.0', name: 'alice' }], status: 'ok' },
      { kind: 'role', id: IDS.memberRole, name: 'member', fields: { id: IDS.memberRole, name: 'member' }, refs: [], status: 'ok' },
      assignment('user', aliceId, 'alice'),
      assignment('group', opsId, 'ops'),
    );
    return manifest;
  };

  it('creates users and groups before their memberships and role assignments, after the project', () => {
    const manifest = withIdentity();
    const plan = buildPlan(manifest, otherCloudFacts({ isAdmin: true, project: { name: 'demo-copy', exists: false } }), { mappings: parseMapArgs(['network:public=ext-net']) });
    expect(plan.preflight.errors).toEqual([]);
    const userAssignment = `role_assignment:user:${aliceId}@project:${IDS.project}/role:${IDS.memberRole}`;
    expect(plan.steps[`user:${aliceId}`]).toMatchObject({ action: 'create', notes: [expect.objectContaining({ code: 'password-not-restored' })] });
    expect(plan.steps[`group:${opsId}`]!.dependsOn).toContain(`user:${aliceId}`);
    expect(plan.steps[`role:${IDS.memberRole}`]).toMatchObject({ action: 'map', targetId: '3c3c3c3c3c3c4c3c8c3c3c3c3c3c3c3c' });
    expect([...plan.steps[userAssignment]!.dependsOn].sort()).toEqual([`project:${IDS.project}`, `role:${IDS.memberRole}`, `user:${aliceId}`].sort());
    expectBefore(plan, `project:${IDS.project}`, userAssignment);
    expectBefore(plan, `user:${aliceId}`, userAssignment);
    expectBefore(plan, userAssignment, `network:${IDS.demoNet}`);
  });

  it('an existing assignment of the same user and role in the target project is reused', () => {
    const manifest = withIdentity();
    const existing = [
      { kind: 'role_assignment' as const, id: 'target-assignment', name: 'alice → member', refs: [
        { kind: 'user' as const, id: 'alice-in-target', field: 'user.id', name: 'alice' },
        { kind: 'role' as const, id: 'member-in-target', field: 'role.id', name: 'member' },
        { kind: 'project' as const, id: 'demo-copy-id', field: 'scope.project.id', name: 'demo-copy' },
      ] },
    ];
    const plan = buildPlan(manifest, otherCloudFacts({ isAdmin: true, project: { name: 'demo-copy', id: 'demo-copy-id', exists: true }, existing }), { mappings: parseMapArgs(['network:public=ext-net']) });
    expect(plan.steps[`role_assignment:user:${aliceId}@project:${IDS.project}/role:${IDS.memberRole}`]).toMatchObject({ action: 'reuse', targetId: 'target-assignment' });
    expect(plan.steps[`role_assignment:group:${opsId}@project:${IDS.project}/role:${IDS.memberRole}`]!.action).toBe('create');
  });

  it('a role the target does not have is a preflight error (roles are never created)', () => {
    const plan = buildPlan(withIdentity(), otherCloudFacts({ isAdmin: true, roles: [{ id: 'r1', name: 'reader' }] }), { mappings: parseMapArgs(['network:public=ext-net']) });
    expect(plan.preflight.errors.find((e) => e.code === 'unmapped-role')).toMatchObject({ mapping: { kind: 'role', from: 'member' }, hint: expect.stringContaining('target roles: reader') });
  });
});

describe('buildPlan: a server launched by another user', () => {
  const withForeignKey = (keepKeypairRecord: boolean) => {
    const manifest = loadDemoManifest();
    const server = manifest.resources.find((r) => r.id === IDS.server)!;
    const ref = server.refs.find((r) => r.kind === 'keypair')!;
    ref.id = `0123456789abcdef0123456789abcdef/${ref.name ?? 'demo-key'}`;
    if (!keepKeypairRecord) manifest.resources = manifest.resources.filter((r) => r.kind !== 'keypair');
    return buildPlan(manifest, sameCloudFacts(), {});
  };

  it("uses the restoring user's keypair of the same name from the snapshot, with a warning", () => {
    const plan = withForeignKey(true);
    expect(plan.preflight.errors).toEqual([]);
    const step = plan.steps[`server:${IDS.server}`]!;
    expect(step.dependsOn).toContain('keypair:demo-key');
    expect(step.notes.map((n) => n.code)).toContain('keypair-of-another-user');
  });

  it('boots the server without a keypair when the snapshot has none of that name, and says so', () => {
    const plan = withForeignKey(false);
    expect(plan.preflight.errors).toEqual([]);
    const step = plan.steps[`server:${IDS.server}`]!;
    expect(step.mappedFields.key_name).toEqual({ from: 'demo-key', to: null });
    expect(step.notes.find((n) => n.code === 'keypair-of-another-user')?.message).toMatch(/without a keypair/);
  });
});
