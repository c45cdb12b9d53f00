// The module runner's bookkeeping (pure logic; the modules and the session are stand-ins):
// absent services are skipped, a module that throws fails all its kinds, counts cover the
// kinds that were read.
import { describe, expect, it } from 'vitest';
import { inventoryProject } from '../../src/inventory/run-inventory.js';
import type { ServiceModule } from '../../services/module.js';
import type { ProjectTarget } from '../../src/inventory/resolve-project.js';
import type { Session } from '../../src/openstack/types.js';
import { makeRecord } from '../../services/common/inventory-collector.js';

const session = { hasService: (t: string) => t !== 'object-store' } as unknown as Session;
const target: ProjectTarget = { project: { id: 'p1', name: 'demo' }, session, access: 'own', ownsSession: false };

const networks: ServiceModule = {
  name: 'networks',
  serviceTypes: ['network'],
  kinds: ['network', 'qos_policy', 'port'],
  inventory: async (ctx) => {
    expect(ctx.projectId).toBe('p1');
    return {
      resources: [makeRecord({ kind: 'network', id: 'n2', name: 'b', fields: {} }), makeRecord({ kind: 'network', id: 'n1', name: 'a', fields: {} })],
      skipped: [{ kind: 'qos_policy', reason: 'not offered by this cloud' }],
    };
  },
};
const broken: ServiceModule = {
  name: 'compute',
  serviceTypes: ['compute'],
  kinds: ['server', 'flavor'],
  inventory: async () => {
    throw new Error('compute microversion 2.47 or newer is needed');
  },
};
const objects: ServiceModule = { name: 'objects', serviceTypes: ['object-store'], kinds: ['container', 'object'], inventory: async () => ({ resources: [], skipped: [] }) };

describe('inventoryProject', () => {
  it('collects records, skipped and failed kinds, and counts', async () => {
    const inv = await inventoryProject(target, [networks, broken, objects], { parallelism: 2 });
    expect(inv.project).toEqual({ id: 'p1', name: 'demo', access: 'own' });
    expect(inv.resources.map((r) => r.id)).toEqual(['n1', 'n2']);
    expect(inv.counts).toEqual({ network: 2, port: 0 });
    expect(inv.failed).toEqual([
      { kind: 'server', reason: 'compute: compute microversion 2.47 or newer is needed' },
      { kind: 'flavor', reason: 'compute: compute microversion 2.47 or newer is needed' },
    ]);
    expect(inv.skipped).toEqual(
      expect.arrayContaining([
        { kind: 'qos_policy', reason: 'not offered by this cloud' },
        { kind: 'container', reason: 'service object-store is not in the catalog of this cloud/region' },
        { kind: 'object', reason: 'service object-store is not in the catalog of this cloud/region' },
      ]),
    );
  });
});
