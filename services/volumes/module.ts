// Inventory of a project's Cinder resources: volumes, snapshots, and the volume types they
// use. Volume types are cloud-wide: a type is listed when a volume of the project uses it or
// when it is a private type the project has access to (a restore into another cloud needs to
// map or recreate exactly those). Admins also get each private type's access list.
import type { ServiceModule, InventoryContext, InventoryResult } from '../module.js';
import { InventoryCollector } from '../common/inventory-collector.js';
import { mapLimit } from '../common/limit.js';
import { isCrossProject } from '../common/project-scope.js';
import { VolumeClient, type VolumeType } from './client.js';
import { snapshotRecord, volumeRecord, volumeTypeIdOf, volumeTypeRecord } from './records.js';
import { volumeRestore } from './restore.js';
import { exportVolumeData } from './export.js';

async function inventory(ctx: InventoryContext): Promise<InventoryResult> {
  const out = new InventoryCollector('Cinder');
  const client = await VolumeClient.open(ctx.session, ctx.pageSize);
  // The endpoint is bound to the token's project (…/v3/<project_id>); an admin token of another
  // project lists the target with all_tenants + project_id. Results are filtered by project anyway.
  const filter = isCrossProject(ctx) ? { all_tenants: true, project_id: ctx.projectId } : {};
  const [volumes, snapshots, types] = await Promise.all([
    out.kind('volume', () => client.listVolumes(filter)),
    out.kind('volume_snapshot', () => client.listSnapshots(filter)),
    out.kind('volume_type', () => client.listVolumeTypes({ isPublic: 'all' })),
  ]);
  const ownVolumes = (volumes ?? []).filter((v) => !v['os-vol-tenant-attr:tenant_id'] || v['os-vol-tenant-attr:tenant_id'] === ctx.projectId);
  const ownSnapshots = (snapshots ?? []).filter((s) => !s['os-extended-snapshot-attributes:project_id'] || s['os-extended-snapshot-attributes:project_id'] === ctx.projectId);
  const typesByName = new Map((types ?? []).map((t) => [t.name, t]));

  for (const v of ownVolumes) out.add(volumeRecord(v, typesByName));
  const volumeNames = new Map(ownVolumes.filter((v) => v.name).map((v) => [v.id, v.name as string]));
  for (const s of ownSnapshots) out.add(snapshotRecord(s, volumeNames));

  if (types) {
    const used = new Set(ownVolumes.map((v) => volumeTypeIdOf(v, typesByName)).filter((id): id is string => Boolean(id)));
    const privateTypes = types.filter((t) => !t.is_public);
    const accessible = await privateTypesOfProject(client, privateTypes, ctx, out);
    const access = new Map(accessible.map((a) => [a.type.id, a.projects]));
    for (const t of types) {
      if (used.has(t.id) || access.has(t.id)) out.add(volumeTypeRecord(t, access.get(t.id)));
    }
  }
  return out.result();
}

/**
 * Private types the project may use. A member only sees private types it has access to; an
 * admin sees all of them and learns the access list (which also tells whether the project is in it).
 */
async function privateTypesOfProject(client: VolumeClient, privateTypes: VolumeType[], ctx: InventoryContext, out: InventoryCollector): Promise<Array<{ type: VolumeType; projects?: string[] }>> {
  if (!ctx.session.isAdmin()) return privateTypes.map((type) => ({ type }));
  const results = await mapLimit(privateTypes, 4, async (type) => {
    try {
      const projects = (await client.listVolumeTypeAccess(type.id)).map((a) => a.project_id);
      return projects.includes(ctx.projectId) ? { type, projects } : undefined;
    } catch (err) {
      out.noteFailure('volume_type', err, `access list of private volume type ${type.name}`);
      return undefined;
    }
  });
  return results.filter((r): r is { type: VolumeType; projects: string[] } => r !== undefined);
}

export const serviceModule: ServiceModule = {
  name: 'volumes',
  serviceTypes: ['volumev3'],
  kinds: ['volume', 'volume_snapshot', 'volume_type'],
  inventory,
  exportData: exportVolumeData,
  restore: volumeRestore,
};
