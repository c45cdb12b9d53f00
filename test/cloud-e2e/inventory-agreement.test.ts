// `permafrost inventory --json` agrees, kind by kind, with what the openstack CLI lists for the
// seeded demo project; an admin can list demo with --project; a member gets skipped kinds with
// reasons instead of errors. Other suites may create/delete throwaway resources in demo at the
// same time, so a kind whose sets differ is listed again afterwards: every ID permafrost
// reports must have existed before or after it ran, and every ID present both before and after
// must be in the inventory.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildProject, osIds, osJson, permafrost, REPO_ROOT } from './helpers/openstack-cli.js';

const DEMO = 'devcloud-demo';
const ADMIN = 'devcloud-admin';

interface Inventory {
  project: { id: string; name: string; access: string };
  resources: Array<{ kind: string; id: string; name: string; size?: number; refs: Array<{ kind: string; id: string; field: string }>; fields: Record<string, unknown> }>;
  counts: Record<string, number>;
  skipped: Array<{ kind: string; reason: string }>;
  failed: Array<{ kind: string; reason: string }>;
}

function idsOf(inv: Inventory, kind: string, key: 'id' | 'name' = 'id'): Set<string> {
  return new Set(inv.resources.filter((r) => r.kind === kind).map((r) => r[key]));
}

async function inventoryJson(args: string[]): Promise<{ code: number; inv: Inventory; stderr: string }> {
  const res = await permafrost(['inventory', ...args, '--json']);
  if (res.stdout.trim() === '') throw new Error(`permafrost inventory printed nothing (exit ${res.code}): ${res.stderr}`);
  return { code: res.code, inv: JSON.parse(res.stdout) as Inventory, stderr: res.stderr };
}

/** What the openstack CLI lists for one kind of the demo project. */
type Lister = (projectId: string) => Promise<Set<string>>;

async function objectIds(cloud: string): Promise<Set<string>> {
  const containers = await osJson(cloud, ['container', 'list']);
  const ids = new Set<string>();
  for (const c of containers) {
    const name = String(c['Name']);
    // A container deleted by another suite between the two calls is simply gone.
    const objects = await osJson(cloud, ['object', 'list', name]).catch(() => [] as Array<Record<string, unknown>>);
    for (const o of objects) ids.add(`${name}/${String(o['Name'])}`);
  }
  return ids;
}

const LISTERS: Record<string, Lister> = {
  server: () => osIds(DEMO, ['server', 'list']),
  volume: () => osIds(DEMO, ['volume', 'list']),
  volume_snapshot: () => osIds(DEMO, ['volume', 'snapshot', 'list']),
  // Images owned by demo (any visibility): `image list --long` shows the owner as "Project".
  image: async (pid) => new Set((await osJson(DEMO, ['image', 'list', '--long'])).filter((i) => i['Project'] === pid).map((i) => String(i['ID']))),
  // The shared external network `public` is visible to demo but owned by admin: permafrost lists
  // the project's own networks (public is only a reference), i.e. `network list --project`.
  network: (pid) => osIds(DEMO, ['network', 'list', '--project', pid]),
  subnet: (pid) => osIds(DEMO, ['subnet', 'list', '--project', pid]),
  port: (pid) => osIds(DEMO, ['port', 'list', '--project', pid]),
  router: (pid) => osIds(DEMO, ['router', 'list', '--project', pid]),
  security_group: (pid) => osIds(DEMO, ['security', 'group', 'list', '--project', pid]),
  security_group_rule: () => osIds(DEMO, ['security', 'group', 'rule', 'list']),
  floating_ip: (pid) => osIds(DEMO, ['floating', 'ip', 'list', '--project', pid]),
  keypair: () => osIds(DEMO, ['keypair', 'list'], 'Name'),
  container: () => osIds(DEMO, ['container', 'list'], 'Name'),
  object: () => objectIds(DEMO),
};

/** Reference listings of several kinds, three openstack processes at a time (they are slow). */
async function listAll(kinds: string[], projectId: string): Promise<Map<string, Set<string>>> {
  const result = new Map<string, Set<string>>();
  const queue = [...kinds];
  await Promise.all(
    [1, 2, 3].map(async () => {
      for (let kind = queue.shift(); kind !== undefined; kind = queue.shift()) result.set(kind, await LISTERS[kind]!(projectId));
    }),
  );
  return result;
}

function diff(a: Set<string>, b: Set<string>): string[] {
  return [...a].filter((x) => !b.has(x)).sort();
}

/**
 * Agreement of one kind, tolerant of concurrent changes: inventory ⊆ before ∪ after and
 * before ∩ after ⊆ inventory. The second listing is only taken when the first one differs.
 */
async function expectAgreement(kind: string, inventoryIds: Set<string>, before: Set<string>, relist: () => Promise<Set<string>>): Promise<void> {
  if (diff(inventoryIds, before).length === 0 && diff(before, inventoryIds).length === 0) return;
  const after = await relist();
  const union = new Set([...before, ...after]);
  const stable = new Set([...before].filter((id) => after.has(id)));
  expect({ kind, notListedByOpenstack: diff(inventoryIds, union) }).toEqual({ kind, notListedByOpenstack: [] });
  expect({ kind, missingFromInventory: diff(stable, inventoryIds) }).toEqual({ kind, missingFromInventory: [] });
}

describe('permafrost inventory against the seeded demo project', () => {
  let demoProjectId: string;

  beforeAll(async () => {
    await buildProject();
    expect(existsSync(path.join(REPO_ROOT, 'dist/src/cli/commands/inventory.js'))).toBe(true);
    const project = await osJson<Record<string, unknown>>(DEMO, ['project', 'show', 'demo']).catch(async () =>
      // A member may not `project show`; its token tells the project.
      osJson<Record<string, unknown>>(DEMO, ['token', 'issue']).then((t) => ({ id: t['project_id'] })),
    );
    demoProjectId = String(project['id']);
  });

  it('agrees kind by kind with the openstack CLI (demo user)', async () => {
    // Reference listings first, then the inventory, then re-listings where needed.
    const kinds = Object.keys(LISTERS);
    const before = await listAll(kinds, demoProjectId);

    const { code, inv, stderr } = await inventoryJson(['--os-cloud', DEMO]);
    expect(code, stderr).toBe(0);
    expect(inv.project).toMatchObject({ id: demoProjectId, name: 'demo', access: 'own' });
    expect(inv.failed).toEqual([]);

    for (const kind of kinds) {
      const key = kind === 'keypair' || kind === 'container' ? 'name' : 'id';
      await expectAgreement(kind, idsOf(inv, kind, key), before.get(kind)!, () => LISTERS[kind]!(demoProjectId));
    }
    // Counts are the number of records per kind.
    for (const kind of kinds) expect(inv.counts[kind], kind).toBe(idsOf(inv, kind).size);
    // The seeded project is not empty on any of these kinds.
    for (const kind of ['server', 'volume', 'volume_snapshot', 'image', 'network', 'subnet', 'port', 'router', 'security_group', 'security_group_rule', 'floating_ip', 'keypair', 'container', 'object']) {
      expect(inv.counts[kind] ?? 0, kind).toBeGreaterThan(0);
    }
  });

  it('documents the difference on networks: the shared external network is a reference, not a record', async () => {
    const visible = await osJson(DEMO, ['network', 'list']);
    const publicNet = visible.find((n) => n['Name'] === 'public');
    expect(publicNet).toBeDefined();
    const { inv } = await inventoryJson(['--os-cloud', DEMO, '--services', 'networks']);
    const publicId = String(publicNet!['ID']);
    expect(idsOf(inv, 'network').has(publicId)).toBe(false);
    const router = inv.resources.find((r) => r.kind === 'router' && r.name === 'demo-router');
    expect(router?.refs).toContainEqual(expect.objectContaining({ kind: 'network', id: publicId, field: 'external_gateway_info.network_id' }));
  });

  it('records the references restore needs (seeded server, volume, snapshot, port, object)', async () => {
    const { inv } = await inventoryJson(['--os-cloud', DEMO, '--services', 'compute,volumes,networks,objects']);
    const byName = (kind: string, name: string) => inv.resources.find((r) => r.kind === kind && r.name === name);
    const server = byName('server', 'demo-server')!;
    const refKinds = new Set(server.refs.map((r) => r.kind));
    for (const kind of ['flavor', 'image', 'keypair', 'port', 'volume', 'security_group']) expect(refKinds.has(kind), kind).toBe(true);
    const blank = byName('volume', 'demo-vol-blank')!;
    expect(server.refs).toContainEqual(expect.objectContaining({ kind: 'volume', id: blank.id }));
    expect(blank.size).toBe(2 ** 30);
    const snap = byName('volume_snapshot', 'demo-vol-blank-snap')!;
    expect(snap.refs).toContainEqual(expect.objectContaining({ kind: 'volume', id: blank.id, field: 'volume_id' }));
    const fromImage = byName('volume', 'demo-vol-from-image')!;
    expect(fromImage.refs.map((r) => r.kind)).toContain('image');
    const net = byName('network', 'demo-net')!;
    const serverPort = inv.resources.find((r) => r.kind === 'port' && server.refs.some((ref) => ref.kind === 'port' && ref.id === r.id))!;
    expect(serverPort.refs).toContainEqual(expect.objectContaining({ kind: 'network', id: net.id }));
    expect(serverPort.refs.map((r) => r.kind)).toEqual(expect.arrayContaining(['subnet', 'security_group']));
    const rule = inv.resources.find((r) => r.kind === 'security_group_rule' && r.fields['remote_group_id'])!;
    expect(rule.refs.filter((r) => r.kind === 'security_group').map((r) => r.field).sort()).toEqual(['remote_group_id', 'security_group_id']);
    const fip = inv.resources.find((r) => r.kind === 'floating_ip')!;
    expect(fip.refs.map((r) => r.kind)).toEqual(expect.arrayContaining(['network', 'port']));
    const hello = inv.resources.find((r) => r.kind === 'object' && r.id === 'demo-container/hello.txt')!;
    expect(hello.refs).toContainEqual({ kind: 'container', id: 'demo-container', field: 'container' });
    expect(hello.size).toBe(Number(hello.fields['bytes']));
  });

  it('gives a member the skipped kinds with reasons, not an error', async () => {
    const { code, inv } = await inventoryJson(['--os-cloud', DEMO, '--services', 'identity']);
    expect(code).toBe(0);
    const skippedKinds = new Map(inv.skipped.map((s) => [s.kind, s.reason]));
    expect(skippedKinds.get('role_assignment')).toMatch(/requires admin/);
    expect(skippedKinds.get('group')).toMatch(/requires admin/);
    // What a member may read is still there: its project and its own user.
    expect(idsOf(inv, 'project').has(demoProjectId)).toBe(true);
    expect(idsOf(inv, 'user', 'name').has('demo')).toBe(true);
    expect(inv.counts['role_assignment']).toBeUndefined();

    const text = await permafrost(['inventory', '--os-cloud', DEMO, '--services', 'identity']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Skipped\n(.|\n)*role_assignment: requires admin/);
  });

  it('lets an admin list demo with --project (by name) and with --project <id>', async () => {
    const kinds = ['server', 'volume', 'volume_snapshot', 'image', 'network', 'port', 'security_group_rule', 'floating_ip'];
    const before = await listAll(kinds, demoProjectId);
    const { code, inv, stderr } = await inventoryJson(['--os-cloud', ADMIN, '--project', 'demo']);
    expect(code, stderr).toBe(0);
    expect(inv.project.id).toBe(demoProjectId);
    // The admin has no role on demo here: permafrost lists it with admin filters.
    expect(['scoped', 'cross-project']).toContain(inv.project.access);
    for (const kind of kinds) {
      await expectAgreement(kind, idsOf(inv, kind), before.get(kind)!, () => LISTERS[kind]!(demoProjectId));
    }
    // Admin-only kinds are present: demo's role assignments and users.
    expect(inv.counts['role_assignment']).toBeGreaterThanOrEqual(1);
    expect(idsOf(inv, 'user', 'name').has('demo')).toBe(true);
    expect(inv.resources.some((r) => r.kind === 'keypair' && r.name === 'demo-key')).toBe(true);
    if (inv.project.access === 'cross-project') {
      // Swift grants accounts by project role, not by admin elsewhere: skipped with the reason.
      expect(inv.skipped).toContainEqual(expect.objectContaining({ kind: 'container', reason: expect.stringMatching(/role on that project|ResellerAdmin/) }));
    }
    const byId = await inventoryJson(['--os-cloud', ADMIN, '--project', demoProjectId, '--services', 'compute']);
    expect(byId.inv.project.id).toBe(demoProjectId);
    expect(idsOf(byId.inv, 'server')).toEqual(idsOf(inv, 'server'));
  });

  it('lists every project with --all-projects (admin) and refuses it to a member', async () => {
    const res = await permafrost(['inventory', '--os-cloud', ADMIN, '--all-projects', '--services', 'images', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const doc = JSON.parse(res.stdout) as { projects: Inventory[] };
    const names = doc.projects.map((p) => p.project.name);
    expect(names).toEqual(expect.arrayContaining(['admin', 'demo']));
    const demoInv = doc.projects.find((p) => p.project.id === demoProjectId)!;
    const ownedByDemo = await LISTERS['image']!(demoProjectId);
    await expectAgreement('image', idsOf(demoInv, 'image'), ownedByDemo, () => LISTERS['image']!(demoProjectId));
    for (const inv of doc.projects) expect(inv.resources.every((r) => r.fields['owner'] === inv.project.id)).toBe(true);

    const member = await permafrost(['inventory', '--os-cloud', DEMO, '--all-projects']);
    expect(member.code).toBe(6);
    expect(member.stderr).toMatch(/--all-projects needs the admin role/);
  });

  it('refuses --project of a foreign project for a member with a clear error', async () => {
    const res = await permafrost(['inventory', '--os-cloud', DEMO, '--project', 'admin', '--json']);
    expect(res.code === 10 || res.code === 6, res.stderr).toBe(true);
    expect(res.stderr).toMatch(/project "admin"/);
    expect(res.stdout).toBe('');
  });
});
