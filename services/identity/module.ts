// Inventory of a project's identity side: the project itself, its role assignments (admin),
// the users, groups (with memberships) and roles those assignments name, and the application
// credentials scoped to the project. Keystone's default policy lets a member read only its own
// project, its own user and its own application credentials: everything else is reported as
// skipped ("requires admin"), never as an error.
import type { ServiceModule, InventoryContext, InventoryResult } from '../module.js';
import { InventoryCollector } from '../common/inventory-collector.js';
import { mapLimit } from '../common/limit.js';
import { isForbidden } from '../common/http-status.js';
import { IdentityClient, type RoleAssignment } from './client.js';
import { applicationCredentialRecord, groupRecord, projectRecord, roleAssignmentRecord, roleRecord, userRecord } from './records.js';
import { identityRestore } from './restore.js';

async function inventory(ctx: InventoryContext): Promise<InventoryResult> {
  const out = new InventoryCollector('Keystone');
  const client = await IdentityClient.open(ctx.session, ctx.pageSize);

  await out.kind('project', async () => {
    const project = await client.getProject(ctx.projectId);
    const domain = await client.getDomain(project.domain_id).catch(() => undefined);
    out.add(projectRecord(project, domain ? { id: domain.id, name: domain.name } : undefined));
  });

  const assignments = await out.kind('role_assignment', () => client.listRoleAssignments({ projectId: ctx.projectId, includeNames: true }));
  if (assignments === undefined) {
    const why = out.skipped.find((s) => s.kind === 'role_assignment')?.reason ?? 'role assignments could not be listed';
    // Without assignments the project's users, groups and roles are unknown.
    out.skip('user', `other users of the project: ${why}`);
    out.skip('group', why);
    out.skip('role', why);
  }
  for (const a of assignments ?? []) out.add(roleAssignmentRecord(a));

  const userIds = new Set(usersOf(assignments ?? []));
  // A member can always read itself (when inventorying its own project).
  const ownProject = ctx.session.project?.id === ctx.projectId;
  if (ownProject) userIds.add(ctx.session.userId);

  await Promise.all([
    out.kind('user', () =>
      mapLimit([...userIds], 4, async (id) => {
        try {
          out.add(userRecord(await client.getUser(id)));
        } catch (err) {
          out.noteFailure('user', err, `user ${id}`);
        }
      }),
    ),
    out.kind('group', () =>
      mapLimit(groupsOf(assignments ?? []), 4, async (id) => {
        const [group, members] = await Promise.all([client.getGroup(id), client.listGroupUsers(id)]);
        out.add(groupRecord(group, members));
      }),
    ),
    assignments && assignments.length > 0
      ? out.kind('role', async () => {
          const used = new Set(assignments.map((a) => a.role.id));
          for (const role of await client.listRoles()) if (used.has(role.id)) out.add(roleRecord(role));
        })
      : Promise.resolve(),
    out.kind('application_credential', () =>
      mapLimit([...userIds], 4, async (userId) => {
        try {
          const creds = await client.listApplicationCredentials(userId);
          for (const c of creds) if (c.project_id === ctx.projectId) out.add(applicationCredentialRecord(c, userId));
        } catch (err) {
          // Others' credentials need admin; a member still gets its own.
          if (isForbidden(err) && userId !== ctx.session.userId) out.skip('application_credential', "other users' application credentials require admin");
          else out.noteFailure('application_credential', err, `application credentials of user ${userId}`);
        }
      }),
    ),
  ]);
  return out.result();
}

function usersOf(assignments: RoleAssignment[]): string[] {
  return [...new Set(assignments.map((a) => a.user?.id).filter((id): id is string => Boolean(id)))];
}

function groupsOf(assignments: RoleAssignment[]): string[] {
  return [...new Set(assignments.map((a) => a.group?.id).filter((id): id is string => Boolean(id)))];
}

export const serviceModule: ServiceModule = {
  name: 'identity',
  serviceTypes: ['identity'],
  kinds: ['project', 'user', 'group', 'role', 'role_assignment', 'application_credential'],
  inventory,
  restore: identityRestore,
};
