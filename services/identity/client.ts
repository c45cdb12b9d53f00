// Typed client for Keystone v3: the identity resources a project export and restore touch
// (projects, users, groups and memberships, roles and role assignments, application
// credentials, domains). Keystone lists are unpaged by default (optionally `truncated`); the
// session's paginate helper handles both forms.
import type { ServiceClient, Session } from '../../src/openstack/types.js';
import { collect } from '../common/limit.js';
import { seg, versionedPath } from '../common/api-path.js';
import { orUndefinedIfNotFound } from '../common/http-status.js';
import { ExitCode, PermafrostError } from '../../src/errors.js';

interface Extra {
  [key: string]: unknown;
}

export interface Domain extends Extra {
  id: string;
  name: string;
  description?: string;
  enabled?: boolean;
}

export interface Project extends Extra {
  id: string;
  name: string;
  domain_id: string;
  description?: string;
  enabled?: boolean;
  parent_id?: string | null;
  is_domain?: boolean;
  tags?: string[];
  options?: Record<string, unknown>;
}

export interface User extends Extra {
  id: string;
  name: string;
  domain_id: string;
  enabled?: boolean;
  description?: string;
  email?: string;
  default_project_id?: string;
  password_expires_at?: string | null;
  options?: Record<string, unknown>;
}

export interface Group extends Extra {
  id: string;
  name: string;
  domain_id: string;
  description?: string;
}

export interface Role extends Extra {
  id: string;
  name: string;
  domain_id?: string | null;
  description?: string;
  options?: Record<string, unknown>;
}

interface NamedRef {
  id: string;
  name?: string;
  domain?: { id: string; name?: string };
}

export interface RoleAssignment extends Extra {
  role: NamedRef;
  user?: NamedRef;
  group?: NamedRef;
  scope: {
    project?: NamedRef;
    domain?: NamedRef;
    system?: Record<string, unknown>;
    'OS-INHERIT:inherited_to'?: string;
  };
  links?: { assignment?: string; membership?: string };
}

export interface ApplicationCredentialRole {
  id: string;
  name?: string;
  domain_id?: string | null;
}

export interface AccessRule {
  id?: string;
  service: string;
  method: string;
  path: string;
}

export interface ApplicationCredential extends Extra {
  id: string;
  name: string;
  description?: string | null;
  project_id: string;
  user_id?: string;
  roles: ApplicationCredentialRole[];
  expires_at?: string | null;
  unrestricted?: boolean;
  access_rules?: AccessRule[];
  /** Only present in the create response; never stored. */
  secret?: string;
}

export interface RoleAssignmentFilter {
  projectId?: string;
  domainId?: string;
  userId?: string;
  groupId?: string;
  roleId?: string;
  /** Expand group assignments into user assignments. */
  effective?: boolean;
  /** Include names of role, actor and scope (`include_names`). */
  includeNames?: boolean;
  /** Include assignments on projects below `projectId`. */
  includeSubtree?: boolean;
}

export class IdentityClient {
  constructor(
    readonly http: ServiceClient,
    private readonly pageSize?: number,
  ) {}

  /** Client on the session's identity endpoint; `pageSize` applies to every list call. */
  static async open(session: Session, pageSize?: number): Promise<IdentityClient> {
    return new IdentityClient(await session.client('identity'), pageSize);
  }

  private p(path: string): string {
    return versionedPath(this.http, '/v3', path);
  }

  private list<T>(path: string, itemsKey: string, searchParams?: Record<string, string | number | boolean | undefined>): Promise<T[]> {
    return collect(this.http.paginate<T>({ path: this.p(path), itemsKey, searchParams, pageSize: this.pageSize, style: 'keystone' }));
  }

  private async get<T>(path: string, key: string): Promise<T> {
    const res = await this.http.request<Record<string, T>>({ path: this.p(path) });
    return res.body[key] as T;
  }

  private async send<T>(method: 'POST' | 'PATCH' | 'PUT', path: string, key: string, body: unknown): Promise<T> {
    const res = await this.http.request<Record<string, T>>({ method, path: this.p(path), json: { [key]: body } });
    return res.body[key] as T;
  }

  private async del(path: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: this.p(path) });
  }

  // Domains
  listDomains(filter: { name?: string; enabled?: boolean } = {}): Promise<Domain[]> {
    return this.list('/domains', 'domains', { ...filter });
  }
  getDomain(id: string): Promise<Domain> {
    return this.get(`/domains/${seg(id)}`, 'domain');
  }

  // Projects
  listProjects(filter: { name?: string; domain_id?: string; parent_id?: string; enabled?: boolean; tags?: string } = {}): Promise<Project[]> {
    return this.list('/projects', 'projects', { ...filter });
  }
  /** Projects the authenticated user has a role on (works for members, unlike listProjects). */
  listUserProjects(userId: string): Promise<Project[]> {
    return this.list(`/users/${seg(userId)}/projects`, 'projects');
  }
  getProject(id: string): Promise<Project> {
    return this.get(`/projects/${seg(id)}`, 'project');
  }
  findProject(nameOrId: string, domainId?: string): Promise<Project | undefined> {
    return this.findByIdOrName(nameOrId, () => this.getProject(nameOrId), () => this.listProjects({ name: nameOrId, domain_id: domainId }), 'project');
  }
  createProject(project: Partial<Project> & { name: string }): Promise<Project> {
    return this.send('POST', '/projects', 'project', project);
  }
  updateProject(id: string, changes: Partial<Project>): Promise<Project> {
    return this.send('PATCH', `/projects/${seg(id)}`, 'project', changes);
  }
  deleteProject(id: string): Promise<void> {
    return this.del(`/projects/${seg(id)}`);
  }

  // Users
  listUsers(filter: { name?: string; domain_id?: string; enabled?: boolean } = {}): Promise<User[]> {
    return this.list('/users', 'users', { ...filter });
  }
  getUser(id: string): Promise<User> {
    return this.get(`/users/${seg(id)}`, 'user');
  }
  findUser(nameOrId: string, domainId?: string): Promise<User | undefined> {
    return this.findByIdOrName(nameOrId, () => this.getUser(nameOrId), () => this.listUsers({ name: nameOrId, domain_id: domainId }), 'user');
  }
  createUser(user: Partial<User> & { name: string; password?: string }): Promise<User> {
    return this.send('POST', '/users', 'user', user);
  }
  updateUser(id: string, changes: Partial<User> & { password?: string }): Promise<User> {
    return this.send('PATCH', `/users/${seg(id)}`, 'user', changes);
  }
  deleteUser(id: string): Promise<void> {
    return this.del(`/users/${seg(id)}`);
  }
  listUserGroups(userId: string): Promise<Group[]> {
    return this.list(`/users/${seg(userId)}/groups`, 'groups');
  }

  // Groups and memberships
  listGroups(filter: { name?: string; domain_id?: string } = {}): Promise<Group[]> {
    return this.list('/groups', 'groups', { ...filter });
  }
  getGroup(id: string): Promise<Group> {
    return this.get(`/groups/${seg(id)}`, 'group');
  }
  createGroup(group: Partial<Group> & { name: string }): Promise<Group> {
    return this.send('POST', '/groups', 'group', group);
  }
  updateGroup(id: string, changes: Partial<Group>): Promise<Group> {
    return this.send('PATCH', `/groups/${seg(id)}`, 'group', changes);
  }
  deleteGroup(id: string): Promise<void> {
    return this.del(`/groups/${seg(id)}`);
  }
  listGroupUsers(groupId: string): Promise<User[]> {
    return this.list(`/groups/${seg(groupId)}/users`, 'users');
  }
  async addUserToGroup(groupId: string, userId: string): Promise<void> {
    await this.http.request({ method: 'PUT', path: this.p(`/groups/${seg(groupId)}/users/${seg(userId)}`) });
  }
  removeUserFromGroup(groupId: string, userId: string): Promise<void> {
    return this.del(`/groups/${seg(groupId)}/users/${seg(userId)}`);
  }

  // Roles and assignments
  listRoles(filter: { name?: string; domain_id?: string } = {}): Promise<Role[]> {
    return this.list('/roles', 'roles', { ...filter });
  }
  getRole(id: string): Promise<Role> {
    return this.get(`/roles/${seg(id)}`, 'role');
  }
  /** The roles (ID and name) a token carries on its scope: any user may validate its own token (no admin needed). */
  async tokenRoles(token: string): Promise<Array<{ id: string; name: string }>> {
    const res = await this.http.request<{ token?: { roles?: Array<{ id: string; name: string }> } }>({ path: this.p('/auth/tokens'), headers: { 'X-Subject-Token': token } });
    return res.body.token?.roles ?? [];
  }
  findRole(nameOrId: string): Promise<Role | undefined> {
    return this.findByIdOrName(nameOrId, () => this.getRole(nameOrId), () => this.listRoles({ name: nameOrId }), 'role');
  }
  listRoleAssignments(filter: RoleAssignmentFilter = {}): Promise<RoleAssignment[]> {
    return this.list('/role_assignments', 'role_assignments', {
      'scope.project.id': filter.projectId,
      'scope.domain.id': filter.domainId,
      'user.id': filter.userId,
      'group.id': filter.groupId,
      'role.id': filter.roleId,
      // Keystone treats the mere presence of these flags as "true".
      effective: filter.effective ? true : undefined,
      include_names: filter.includeNames ? true : undefined,
      include_subtree: filter.includeSubtree ? true : undefined,
    });
  }
  async grantProjectRole(projectId: string, actor: { userId?: string; groupId?: string }, roleId: string): Promise<void> {
    await this.http.request({ method: 'PUT', path: this.p(this.assignmentPath(projectId, actor, roleId)) });
  }
  revokeProjectRole(projectId: string, actor: { userId?: string; groupId?: string }, roleId: string): Promise<void> {
    return this.del(this.assignmentPath(projectId, actor, roleId));
  }

  // Application credentials (belong to a user, scoped to one project)
  listApplicationCredentials(userId: string, filter: { name?: string } = {}): Promise<ApplicationCredential[]> {
    return this.list(`/users/${seg(userId)}/application_credentials`, 'application_credentials', { ...filter });
  }
  getApplicationCredential(userId: string, id: string): Promise<ApplicationCredential> {
    return this.get(`/users/${seg(userId)}/application_credentials/${seg(id)}`, 'application_credential');
  }
  /** The response carries the secret once; callers must hand it to the user and never log it. */
  createApplicationCredential(
    userId: string,
    cred: { name: string; description?: string; secret?: string; expires_at?: string | null; roles?: Array<{ id?: string; name?: string }>; unrestricted?: boolean; access_rules?: AccessRule[] },
  ): Promise<ApplicationCredential> {
    return this.send('POST', `/users/${seg(userId)}/application_credentials`, 'application_credential', cred);
  }
  deleteApplicationCredential(userId: string, id: string): Promise<void> {
    return this.del(`/users/${seg(userId)}/application_credentials/${seg(id)}`);
  }

  private assignmentPath(projectId: string, actor: { userId?: string; groupId?: string }, roleId: string): string {
    const actorPath = actor.userId ? `users/${seg(actor.userId)}` : actor.groupId ? `groups/${seg(actor.groupId)}` : undefined;
    if (!actorPath) throw new Error('a role assignment needs a user or a group');
    return `/projects/${seg(projectId)}/${actorPath}/roles/${seg(roleId)}`;
  }

  /** ID first (exact), then name; a name matching several entries is ambiguous. */
  private async findByIdOrName<T extends { id: string }>(
    nameOrId: string,
    byId: () => Promise<T>,
    byName: () => Promise<T[]>,
    what: string,
  ): Promise<T | undefined> {
    const direct = await orUndefinedIfNotFound(byId);
    if (direct) return direct;
    const matches = await byName();
    if (matches.length > 1) {
      throw new AmbiguousNameError(what, nameOrId, matches.map((m) => m.id));
    }
    return matches[0];
  }
}

/** A name given by the user that matches several resources: the user must pass the ID. */
export class AmbiguousNameError extends PermafrostError {
  constructor(
    readonly what: string,
    readonly nameOrId: string,
    readonly ids: string[],
  ) {
    super(`${what} name "${nameOrId}" matches ${ids.length} ${what}s (${ids.join(', ')}); use the ID instead`, ExitCode.usage);
    this.name = 'AmbiguousNameError';
  }
}
