// IdentityClient against the real Keystone of the local cloud: projects, users, groups and
// memberships, role grants and role assignments (include_names), application credentials
// (demo user), domains, lookups by name; what a member may not read answers 403.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityClient, type Group, type Project, type Role, type User } from '../../services/identity/client.js';
import type { Session } from '../../src/openstack/types.js';
import { ADMIN, DEMO, open } from './helpers/access.js';
import { Cleanup, svcName } from './helpers/services.js';

describe('IdentityClient (Keystone)', () => {
  let admin: Session;
  let demo: Session;
  let keystone: IdentityClient;
  let project: Project;
  let user: User;
  let group: Group;
  let member: Role;
  const cleanup = new Cleanup();

  beforeAll(async () => {
    [admin, demo] = await Promise.all([open(ADMIN), open(DEMO)]);
    // Keystone does not page (one response, maybe `truncated`): a small page size must not lose items.
    keystone = await IdentityClient.open(admin, 1);
  });

  afterAll(async () => {
    expect(await cleanup.run()).toEqual([]);
    await Promise.all([admin.close(), demo.close()]);
  });

  it('creates, finds and updates a project', async () => {
    project = await keystone.createProject({ name: svcName('project'), domain_id: 'default', description: 'pf test', tags: ['pf'] });
    cleanup.add('project', () => keystone.deleteProject(project.id));
    expect((await keystone.findProject(project.name))?.id).toBe(project.id);
    expect((await keystone.findProject(project.id))?.name).toBe(project.name);
    expect(await keystone.findProject(svcName('missing'))).toBeUndefined();
    const updated = await keystone.updateProject(project.id, { description: 'changed' });
    expect(updated.description).toBe('changed');
    expect((await keystone.getDomain(project.domain_id)).name).toBe('Default');
  });

  it('creates a user and a group with the user as member', async () => {
    user = await keystone.createUser({ name: svcName('user'), domain_id: 'default', password: svcName('pw'), default_project_id: project.id });
    cleanup.add('user', () => keystone.deleteUser(user.id));
    group = await keystone.createGroup({ name: svcName('group'), domain_id: 'default', description: 'pf test' });
    cleanup.add('group', () => keystone.deleteGroup(group.id));
    await keystone.addUserToGroup(group.id, user.id);
    expect((await keystone.listGroupUsers(group.id)).map((u) => u.id)).toEqual([user.id]);
    expect((await keystone.listUserGroups(user.id)).map((g) => g.id)).toEqual([group.id]);
    expect((await keystone.findUser(user.name))?.id).toBe(user.id);
    await keystone.updateUser(user.id, { description: 'changed' });
    expect((await keystone.getUser(user.id)).description).toBe('changed');
  });

  it('grants roles to the user and the group and lists the assignments with names', async () => {
    member = (await keystone.findRole('member'))!;
    const reader = (await keystone.findRole('reader'))!;
    await keystone.grantProjectRole(project.id, { userId: user.id }, member.id);
    await keystone.grantProjectRole(project.id, { groupId: group.id }, reader.id);
    const assignments = await keystone.listRoleAssignments({ projectId: project.id, includeNames: true });
    const summary = assignments.map((a) => `${a.user?.name ?? a.group?.name}:${a.role.name}:${a.scope.project?.name}`).sort();
    expect(summary).toEqual([`${group.name}:reader:${project.name}`, `${user.name}:member:${project.name}`].sort());
    const effective = await keystone.listRoleAssignments({ projectId: project.id, effective: true });
    expect(new Set(effective.map((a) => a.user?.id))).toEqual(new Set([user.id]));
    await keystone.revokeProjectRole(project.id, { groupId: group.id }, reader.id);
    expect(await keystone.listRoleAssignments({ projectId: project.id, groupId: group.id })).toEqual([]);
  });

  it('lists roles, users and projects completely with a page size of 1', async () => {
    const roles = await keystone.listRoles();
    expect(roles.map((r) => r.name)).toEqual(expect.arrayContaining(['admin', 'member', 'reader']));
    const users = await keystone.listUsers({ domain_id: 'default' });
    expect(users.map((u) => u.name)).toEqual(expect.arrayContaining(['admin', 'demo', user.name]));
    const projects = await keystone.listProjects();
    expect(projects.map((p) => p.name)).toEqual(expect.arrayContaining(['admin', 'demo', project.name]));
  });

  it('manages the demo user\'s application credentials; the secret is only in the create answer', async () => {
    const own = await IdentityClient.open(demo);
    const name = svcName('appcred');
    const created = await own.createApplicationCredential(demo.userId, { name, description: 'pf test', roles: [{ name: 'member' }] });
    cleanup.add('application credential', () => own.deleteApplicationCredential(demo.userId, created.id));
    expect(created.secret).toBeTruthy();
    const listed = await own.listApplicationCredentials(demo.userId);
    const found = listed.find((c) => c.id === created.id);
    expect(found).toMatchObject({ name, project_id: demo.project!.id });
    expect(found?.secret).toBeUndefined();
    expect((await own.getApplicationCredential(demo.userId, created.id)).roles.map((r) => r.name)).toEqual(['member']);
  });

  it('answers 403 to a member for admin-only calls, and lets it read itself', async () => {
    const own = await IdentityClient.open(demo);
    await expect(own.listRoleAssignments({ projectId: demo.project!.id })).rejects.toMatchObject({ statusCode: 403 });
    await expect(own.listUsers()).rejects.toMatchObject({ statusCode: 403 });
    expect((await own.getUser(demo.userId)).name).toBe('demo');
    expect((await own.getProject(demo.project!.id)).name).toBe('demo');
    expect((await own.listUserProjects(demo.userId)).map((p) => p.name)).toContain('demo');
  });
});
