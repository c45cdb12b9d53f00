// Pure mapping of Keystone objects to inventory records and references.
import type { ResourceRecord } from '../../src/model/resource.js';
import { makeRecord, ref } from '../common/inventory-collector.js';
import type { ApplicationCredential, Group, Project, Role, RoleAssignment, User } from './client.js';

export function projectRecord(p: Project, domain?: { id: string; name: string }): ResourceRecord {
  return makeRecord({
    kind: 'project',
    id: p.id,
    name: p.name,
    projectId: p.id,
    fields: domain ? { ...p, domain } : p,
    // A project directly under its domain has parent_id = domain_id; only a real parent is a project.
    refs: [p.parent_id && p.parent_id !== p.domain_id ? ref('project', p.parent_id, 'parent_id') : undefined],
  });
}

export function userRecord(u: User): ResourceRecord {
  return makeRecord({ kind: 'user', id: u.id, name: u.name, fields: u, refs: [ref('project', u.default_project_id, 'default_project_id')] });
}

/** A group with its member user IDs (`fields.members`); members are references. */
export function groupRecord(g: Group, members?: User[]): ResourceRecord {
  const memberIds = members?.map((m) => m.id);
  return makeRecord({
    kind: 'group',
    id: g.id,
    name: g.name,
    fields: memberIds ? { ...g, members: memberIds } : g,
    refs: (members ?? []).map((m, i) => ref('user', m.id, `members.${i}`, m.name)),
  });
}

export function roleRecord(r: Role): ResourceRecord {
  return makeRecord({ kind: 'role', id: r.id, name: r.name, fields: r });
}

/** Stable ID of an assignment: `<user|group>:<actor>@project:<project>/role:<role>[/inherited]`. */
export function roleAssignmentId(a: RoleAssignment): string {
  const actor = a.user ? `user:${a.user.id}` : a.group ? `group:${a.group.id}` : 'unknown';
  const scope = a.scope.project ? `project:${a.scope.project.id}` : a.scope.domain ? `domain:${a.scope.domain.id}` : 'system';
  const inherited = a.scope['OS-INHERIT:inherited_to'] ? '/inherited' : '';
  return `${actor}@${scope}/role:${a.role.id}${inherited}`;
}

export function roleAssignmentRecord(a: RoleAssignment): ResourceRecord {
  const actorName = a.user?.name ?? a.group?.name ?? a.user?.id ?? a.group?.id ?? '?';
  return makeRecord({
    kind: 'role_assignment',
    id: roleAssignmentId(a),
    name: `${actorName} → ${a.role.name ?? a.role.id}`,
    projectId: a.scope.project?.id,
    fields: a,
    refs: [
      ref('user', a.user?.id, 'user.id', a.user?.name),
      ref('group', a.group?.id, 'group.id', a.group?.name),
      ref('project', a.scope.project?.id, 'scope.project.id', a.scope.project?.name),
      ref('role', a.role.id, 'role.id', a.role.name),
    ],
  });
}

/** Application credentials never carry their secret in list/get answers; it cannot be exported. */
export function applicationCredentialRecord(c: ApplicationCredential, userId: string): ResourceRecord {
  const { secret: _secret, ...fields } = c;
  return makeRecord({
    kind: 'application_credential',
    id: c.id,
    name: c.name,
    projectId: c.project_id,
    fields: { ...fields, user_id: c.user_id ?? userId },
    refs: [
      ref('user', c.user_id ?? userId, 'user_id'),
      ref('project', c.project_id, 'project_id'),
      ...c.roles.map((r, i) => ref('role', r.id, `roles.${i}.id`, r.name)),
    ],
  });
}
