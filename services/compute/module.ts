// Inventory of a project's Nova resources. Servers and server groups belong to the project.
// Flavors are cloud-wide: listed are the flavors the project's servers use and the private
// flavors the project has access to. Keypairs belong to users: a member gets its own; an admin
// gets the keypairs of every user with a role on the project (via Keystone role assignments).
// user_data is an admin-only attribute under default policy: a member's server records lack it.
import type { ServiceModule, InventoryContext, InventoryResult } from '../module.js';
import { InventoryCollector } from '../common/inventory-collector.js';
import { mapLimit } from '../common/limit.js';
import { errorMessage } from '../common/http-status.js';
import { isCrossProject } from '../common/project-scope.js';
import { ComputeClient, type Flavor, type Keypair } from './client.js';
import { NetworkClient } from '../networks/client.js';
import { IdentityClient } from '../identity/client.js';
import { flavorRecord, keypairRecord, serverGroupRecord, serverGroupsByServer, serverRecord } from './records.js';
import { computeRestore } from './restore.js';
import { exportServerData } from './export.js';

async function inventory(ctx: InventoryContext): Promise<InventoryResult> {
  const out = new InventoryCollector('Nova');
  const client = await ComputeClient.open(ctx.session, ctx.pageSize);
  // An admin token of another project lists the target project with all_tenants + project_id.
  const cross = isCrossProject(ctx);
  const [servers, flavors, groups, securityGroupsByName, keypairs] = await Promise.all([
    out.kind('server', () => client.listServers(cross ? { all_tenants: true, project_id: ctx.projectId } : {})),
    out.kind('flavor', () => client.listFlavors({ isPublic: 'all' })),
    out.kind('server_group', () => client.listServerGroups({ allProjects: cross })),
    securityGroupNames(ctx),
    out.kind('keypair', () => keypairsOfProject(client, ctx, out)),
  ]);
  const ownServers = (servers ?? []).filter((s) => s.tenant_id === ctx.projectId);
  const ownGroups = (groups ?? []).filter((g) => !g.project_id || g.project_id === ctx.projectId);
  const flavorsByName = new Map((flavors ?? []).map((f) => [f.name, f]));
  const serverGroupsOf = serverGroupsByServer(ownGroups);

  await mapLimit(ownServers, 4, async (s) => {
    // Attachments carry device names and delete_on_termination; interfaces carry port IDs.
    const [attachments, interfaces] = await Promise.all([
      client.listVolumeAttachments(s.id).catch((err: unknown) => {
        out.noteFailure('server', err, `volume attachments of server ${s.name}`);
        return [];
      }),
      client.listInterfaces(s.id).catch((err: unknown) => {
        out.noteFailure('server', err, `interfaces of server ${s.name}`);
        return [];
      }),
    ]);
    out.add(serverRecord(s, { sessionUserId: ctx.session.userId, flavorsByName, securityGroupsByName, serverGroupsOf, attachments, interfaces }));
  });
  for (const g of ownGroups) out.add(serverGroupRecord(g));
  for (const { keypair, userId } of keypairs ?? []) out.add(keypairRecord(keypair, userId, ctx.session.userId));

  if (flavors) {
    const used = new Set(ownServers.map((s) => flavorsByName.get(s.flavor.original_name)?.id).filter(Boolean));
    const accessible = await privateFlavorsOfProject(client, flavors.filter((f) => !f['os-flavor-access:is_public']), ctx, out);
    for (const f of flavors) {
      if (used.has(f.id) || accessible.has(f.id)) out.add(flavorRecord(f, accessible.get(f.id)));
    }
  }
  return out.result();
}

/** Name → ID of the project's security groups (Nova names a server's groups, Neutron has the IDs). */
async function securityGroupNames(ctx: InventoryContext): Promise<Map<string, string>> {
  if (!ctx.session.hasService('network')) return new Map();
  try {
    const network = await NetworkClient.open(ctx.session, ctx.pageSize);
    const groups = await network.listSecurityGroups({ project_id: ctx.projectId });
    return new Map(groups.map((g) => [g.name, g.id]));
  } catch {
    // Only the server → security_group references are lost; the networks module reports the kind.
    return new Map();
  }
}

/** Keypairs with their owner: the caller's own, or (admin) those of every user of the project. */
async function keypairsOfProject(client: ComputeClient, ctx: InventoryContext, out: InventoryCollector): Promise<Array<{ keypair: Keypair; userId?: string }>> {
  const scopedToOwnProject = ctx.session.project?.id === ctx.projectId;
  if (!ctx.session.isAdmin()) {
    return (await client.listKeypairs()).map((keypair) => ({ keypair, userId: ctx.session.userId }));
  }
  let userIds: string[];
  try {
    const identity = await IdentityClient.open(ctx.session, ctx.pageSize);
    const assignments = await identity.listRoleAssignments({ projectId: ctx.projectId, effective: true });
    userIds = [...new Set(assignments.map((a) => a.user?.id).filter((id): id is string => Boolean(id)))];
  } catch (err) {
    out.skip('keypair', `keypairs of the project's users: role assignments not readable (${errorMessage(err)}); listing only the caller's keypairs`);
    userIds = [];
  }
  if (scopedToOwnProject && !userIds.includes(ctx.session.userId)) userIds.push(ctx.session.userId);
  const perUser = await mapLimit(userIds, 4, async (userId) => (await client.listKeypairs({ userId })).map((keypair) => ({ keypair, userId })));
  return perUser.flat();
}

/**
 * Private flavors the project may use. A member only sees private flavors it has access to; an
 * admin sees them all and reads each access list (admin-only API).
 */
async function privateFlavorsOfProject(client: ComputeClient, privateFlavors: Flavor[], ctx: InventoryContext, out: InventoryCollector): Promise<Map<string, string[] | undefined>> {
  const result = new Map<string, string[] | undefined>();
  if (!ctx.session.isAdmin()) {
    for (const f of privateFlavors) result.set(f.id, undefined);
    return result;
  }
  await mapLimit(privateFlavors, 4, async (f) => {
    try {
      const projects = (await client.listFlavorAccess(f.id)).map((a) => a.tenant_id);
      if (projects.includes(ctx.projectId)) result.set(f.id, projects);
    } catch (err) {
      out.noteFailure('flavor', err, `access list of private flavor ${f.name}`);
    }
  });
  return result;
}

export const serviceModule: ServiceModule = {
  name: 'compute',
  serviceTypes: ['compute'],
  kinds: ['server', 'flavor', 'keypair', 'server_group'],
  inventory,
  exportData: exportServerData,
  restore: computeRestore,
};
