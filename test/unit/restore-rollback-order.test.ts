// The order a rollback deletes in (pure): routes loosened first, every step after the steps that
// need it, links (associations, attachments, router interfaces) before resources. Also the
// fidelity comparison of order-free lists (a router's interfaces, a subnet's allocation pools),
// and the role-assignment IDs a restore records.
import { describe, expect, it } from 'vitest';
import type { Plan, PlanStep } from '../../restore-plans/plan-schema.js';
import { compareFidelity } from '../../restore-plans/fidelity.js';
import { rollbackOrder } from '../../src/restore/rollback-order.js';

function step(id: string, kind: PlanStep['kind'], operation: string, dependsOn: string[] = []): PlanStep {
  return { id, kind, operation, action: 'create', sourceId: id, name: id, mappedFields: {}, data: { bytes: 0, streams: [] }, dependsOn, notes: [] } as PlanStep;
}

function planOf(steps: PlanStep[], waves: string[][]): Pick<Plan, 'steps' | 'waves'> {
  return { steps: Object.fromEntries(steps.map((s) => [s.id, s])), waves };
}

describe('rollback order', () => {
  // network → subnet → router → interface (port) ← floating IP association; server on a port
  const steps = [
    step('network:n', 'network', 'restore'),
    step('subnet:s', 'subnet', 'restore', ['network:n']),
    step('router:r', 'router', 'restore'),
    step('port:p', 'port', 'restore', ['subnet:s']),
    step('port:rp', 'port', 'router-interface', ['router:r', 'subnet:s']),
    step('floating_ip:f', 'floating_ip', 'restore'),
    step('server:v', 'server', 'restore', ['port:p']),
    step('floating_ip:f/associate', 'floating_ip', 'floating-ip-associate', ['floating_ip:f', 'port:p', 'port:rp']),
    step('volume:x', 'volume', 'restore'),
    step('server:v/attach:x', 'server', 'volume-attach', ['server:v', 'volume:x']),
  ];
  const waves = [['network:n', 'router:r', 'floating_ip:f', 'volume:x'], ['subnet:s'], ['port:p', 'port:rp'], ['server:v', 'floating_ip:f/associate'], ['server:v/attach:x']];

  it('deletes every step after the steps that need it, links first, and loosens routers before anything', () => {
    const order = rollbackOrder(planOf(steps, waves));
    expect(order.loosen).toEqual(['router:r']);
    expect([...order.remove].sort()).toEqual(steps.map((s) => s.id).sort());
    const at = (id: string) => order.remove.indexOf(id);
    for (const s of steps) for (const dep of s.dependsOn) expect(at(dep)).toBeGreaterThan(at(s.id));
    // links before any resource, router interfaces after the other links
    expect(order.remove.slice(0, 3)).toEqual(['server:v/attach:x', 'floating_ip:f/associate', 'port:rp']);
    expect(at('port:rp')).toBeLessThan(at('router:r'));
    expect(at('port:rp')).toBeLessThan(at('subnet:s'));
  });

  it('keeps every step of a plan with a dependency cycle (a hand-edited plan)', () => {
    const cyclic = [step('a', 'network', 'restore', ['b']), step('b', 'subnet', 'restore', ['a'])];
    const order = rollbackOrder(planOf(cyclic, [['a'], ['b']]));
    expect(order.remove).toEqual(['b', 'a']);
  });
});

describe('fidelity of order-free lists', () => {
  const idMap = { port: { 'old-p1': { id: 'new-p1' }, 'old-p2': { id: 'new-p2' } }, subnet: { 'old-s1': { id: 'new-s1' }, 'old-s2': { id: 'new-s2' } } };

  it("compares a router's interfaces and a subnet's allocation pools as sets", () => {
    const router = { kind: 'router' as const, id: 'r', name: 'r', refs: [], status: 'ok' as const, fields: { interfaces: [{ port_id: 'old-p1', subnet_id: 'old-s1', ip_address: '10.0.0.1' }, { port_id: 'old-p2', subnet_id: 'old-s2', ip_address: '10.0.1.5' }] } };
    const restored = { interfaces: [{ port_id: 'new-p2', subnet_id: 'new-s2', ip_address: '10.0.1.5' }, { port_id: 'new-p1', subnet_id: 'new-s1', ip_address: '10.0.0.1' }] };
    const report = compareFidelity(router, restored, { idMap });
    expect(report.differences).toEqual([]);
    expect(report.mapped.map((m) => m.to).sort()).toEqual(["new-s1", "new-s2"]);

    const pools = [{ start: '10.0.0.10', end: '10.0.0.20' }, { start: '10.0.0.2', end: '10.0.0.5' }];
    const subnet = { kind: 'subnet' as const, id: 's', name: 's', refs: [], status: 'ok' as const, fields: { allocation_pools: pools } };
    expect(compareFidelity(subnet, { allocation_pools: [...pools].reverse() }, { idMap }).differences).toEqual([]);
    // a different pool is still a difference
    expect(compareFidelity(subnet, { allocation_pools: [pools[0], { start: '10.0.0.2', end: '10.0.0.6' }] }, { idMap }).differences.length).toBeGreaterThan(0);
  });

  it("keeps a server's interfaces in NIC order", () => {
    const server = { kind: 'server' as const, id: 'v', name: 'v', refs: [], status: 'ok' as const, fields: { interfaces: [{ port_id: 'old-p1' }, { port_id: 'old-p2' }] } };
    expect(compareFidelity(server, { interfaces: [{ port_id: 'new-p2' }, { port_id: 'new-p1' }] }, { idMap }).differences.length).toBe(2);
  });
});

describe('role assignment IDs of a restore', () => {
  it('are the IDs the inventory gives assignments, so that the fidelity report finds a created one', async () => {
    const { assignmentId, parseAssignmentId } = await import('../../services/identity/restore.js');
    const { roleAssignmentId } = await import('../../services/identity/records.js');
    const id = assignmentId('p1', { userId: 'u1' }, 'r1');
    expect(id).toBe(roleAssignmentId({ user: { id: 'u1' }, scope: { project: { id: 'p1' } }, role: { id: 'r1' } }));
    expect(parseAssignmentId(id)).toEqual({ kind: 'user', actor: 'u1', projectId: 'p1', roleId: 'r1' });
    expect(parseAssignmentId(assignmentId('p1', { groupId: 'g1' }, 'r1'))).toMatchObject({ kind: 'group', actor: 'g1' });
    // state files of earlier versions
    expect(parseAssignmentId('p1/u1/r1')).toEqual({ projectId: 'p1', actor: 'u1', roleId: 'r1' });
  });
});
