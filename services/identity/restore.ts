// Recreates Keystone resources where the restoring identity may: users (never their passwords),
// groups and memberships, role assignments on the target project. Creating the project itself
// is done by the executor before any other step (everything else is scoped to it). Application
// credentials cannot be restored: their secret was never in the backup.
import { isConflict, isForbidden, isNotFound } from '../common/http-status.js';
import { NotRestorableError, type KindRestorer, type RestoreContext, type ServiceRestoreHooks } from '../restore-hooks.js';
import { IdentityClient, type RoleAssignment } from './client.js';
import { roleAssignmentId } from './records.js';

const keystone = (ctx: RestoreContext) => ctx.client('identity', (s) => IdentityClient.open(s));

const user: KindRestorer = {
  async findExisting(ctx, step) {
    return (await (await keystone(ctx)).listUsers({ name: step.targetName ?? step.name }))[0]?.id;
  },
  async create(ctx, step) {
    const f = ctx.record?.fields ?? {};
    const made = await (await keystone(ctx)).createUser({
      name: step.targetName ?? step.name,
      ...(typeof f.email === 'string' ? { email: f.email } : {}),
      ...(typeof f.description === 'string' ? { description: f.description } : {}),
      enabled: f.enabled !== false,
      ...(f.default_project_id ? { default_project_id: ctx.targetIdOf('project', String(f.default_project_id)) ?? ctx.projectId } : {}),
    });
    ctx.note(`user ${made.name}: created without a password (passwords are never backed up): set one with "openstack user set --password-prompt ${made.name}"`);
    return { id: made.id, changed: { password: { to: '(none)', why: 'passwords are never backed up' } } };
  },
  async update(ctx, _step, targetId) {
    // update-fields: e-mail, description, enabled (never the password)
    const f = ctx.record?.fields ?? {};
    await (await keystone(ctx)).updateUser(targetId, { ...(typeof f.email === 'string' ? { email: f.email } : {}), ...(typeof f.description === 'string' ? { description: f.description } : {}), enabled: f.enabled !== false });
    return { id: targetId };
  },
  async delete(ctx, _step, id) {
    await (await keystone(ctx)).deleteUser(id).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  },
};

const group: KindRestorer = {
  async findExisting(ctx, step) {
    return (await (await keystone(ctx)).listGroups({ name: step.targetName ?? step.name }))[0]?.id;
  },
  async create(ctx, step) {
    const f = ctx.record?.fields ?? {};
    const client = await keystone(ctx);
    const made = await client.createGroup({ name: step.targetName ?? step.name, ...(typeof f.description === 'string' ? { description: f.description } : {}) });
    const members = Array.isArray(f.members) ? (f.members as Array<{ id?: string }>) : [];
    for (const m of members) {
      const userId = m.id ? ctx.targetIdOf('user', m.id) : undefined;
      if (userId) await client.addUserToGroup(made.id, userId);
    }
    return { id: made.id };
  },
  async update(ctx, _step, targetId) {
    const f = ctx.record?.fields ?? {};
    if (typeof f.description === 'string') await (await keystone(ctx)).updateGroup(targetId, { description: f.description });
    return { id: targetId };
  },
  async delete(ctx, _step, id) {
    await (await keystone(ctx)).deleteGroup(id).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  },
};

/** Old IDs of an assignment's actor and role mapped to the target's; undefined where the map has none. */
function assignmentParts(ctx: RestoreContext, what: string): { userId?: string; groupId?: string; roleId?: string; missing: string[] } {
  const refs = ctx.record?.refs ?? [];
  const userRef = refs.find((r) => r.kind === 'user');
  const groupRef = refs.find((r) => r.kind === 'group');
  const roleRef = refs.find((r) => r.kind === 'role');
  if (!roleRef) throw new Error(`${what}: the snapshot names no role`);
  const missing: string[] = [];
  const look = (kind: 'user' | 'group' | 'role', ref: { id: string; name?: string } | undefined) => {
    if (!ref) return undefined;
    const id = ctx.targetIdOf(kind, ref.id);
    if (id === undefined) missing.push(`${kind} ${ref.name ?? ref.id}`);
    return id;
  };
  const userId = look('user', userRef);
  const groupId = look('group', groupRef);
  const roleId = look('role', roleRef);
  return { ...(userId ? { userId } : {}), ...(groupId ? { groupId } : {}), ...(roleId ? { roleId } : {}), missing };
}

/** The ID the inventory gives the assignment (records.ts), so that the fidelity report finds it again. */
export function assignmentId(projectId: string, actor: { userId?: string; groupId?: string }, roleId: string): string {
  return roleAssignmentId({ ...(actor.userId ? { user: { id: actor.userId } } : { group: { id: actor.groupId! } }), scope: { project: { id: projectId } }, role: { id: roleId } } as RoleAssignment);
}

/** `user:<id>@project:<id>/role:<id>`, or `<project>/<actor>/<role>` as state files of earlier versions hold it. */
export function parseAssignmentId(id: string): { projectId: string; actor: string; roleId: string; kind?: 'user' | 'group' } {
  const current = /^(user|group):([^@]+)@project:([^/]+)\/role:([^/]+)$/.exec(id);
  if (current) return { kind: current[1] as 'user' | 'group', actor: current[2]!, projectId: current[3]!, roleId: current[4]! };
  const [projectId, actor, roleId] = id.split('/');
  return { projectId: projectId!, actor: actor!, roleId: roleId! };
}

const roleAssignment: KindRestorer = {
  async findExisting(ctx, step) {
    const { userId, groupId, roleId, missing } = assignmentParts(ctx, step.name);
    if (missing.length > 0 || !roleId) return undefined;
    try {
      const found = await (await keystone(ctx)).listRoleAssignments({ projectId: ctx.projectId, ...(userId ? { userId } : {}), ...(groupId ? { groupId } : {}), roleId });
      return found.length > 0 ? assignmentId(ctx.projectId, { userId, groupId }, roleId) : undefined;
    } catch (err) {
      // a member may not list assignments: create() finds out whether it may grant
      if (isForbidden(err)) return undefined;
      throw err;
    }
  },
  async create(ctx, step) {
    const { userId, groupId, roleId, missing } = assignmentParts(ctx, step.name);
    if (missing.length > 0 || !roleId) {
      throw new NotRestorableError(`role assignment ${step.name}: ${missing.join(', ')} could not be resolved in the target with this user's rights: not granted; an admin grants it (openstack role add --project <project> …)`);
    }
    try {
      await (await keystone(ctx)).grantProjectRole(ctx.projectId, { ...(userId ? { userId } : {}), ...(groupId ? { groupId } : {}) }, roleId);
    } catch (err) {
      if (isForbidden(err)) throw new NotRestorableError(`role assignment ${step.name}: granting roles needs the admin role: not granted; an admin grants it (openstack role add --project <project> …)`);
      if (!isConflict(err)) throw err;
    }
    return { id: assignmentId(ctx.projectId, { userId, groupId }, roleId) };
  },
  async delete(ctx, _step, id) {
    const client = await keystone(ctx);
    const parsed = parseAssignmentId(id);
    const asUser = parsed.kind ? parsed.kind === 'user' : await client.getUser(parsed.actor).then(() => true).catch(() => false);
    await client.revokeProjectRole(parsed.projectId, asUser ? { userId: parsed.actor } : { groupId: parsed.actor }, parsed.roleId).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  },
};

/** Roles are never created: a role step maps to the target's role of that name. */
const role: KindRestorer = {
  async findExisting(ctx, step) {
    const name = step.targetName ?? step.name;
    const client = await keystone(ctx);
    try {
      return (await client.listRoles({ name }))[0]?.id;
    } catch (err) {
      if (!isForbidden(err)) throw err;
    }
    // a member cannot list roles, but its own token names the roles it holds here, with their IDs
    return (await client.tokenRoles(await ctx.session.token())).find((r) => r.name === name)?.id;
  },
  async create(_ctx, step) {
    throw new NotRestorableError(`role ${step.name}: roles are never created by a restore; map it to a role of the target (--map role:${step.name}=<role>)`);
  },
  async delete() {
    // never created
  },
};

const applicationCredential: KindRestorer = {
  async findExisting() {
    return undefined;
  },
  async create(_ctx, step) {
    throw new NotRestorableError(`application credential ${step.name}: its secret was never backed up; its owner creates a new one (openstack application credential create ${step.name})`);
  },
  async delete() {
    // nothing was created
  },
};

export const identityRestore: ServiceRestoreHooks = {
  kinds: { user, group, role, role_assignment: roleAssignment, application_credential: applicationCredential },
};
