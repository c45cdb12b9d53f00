// Which project an inventory lists, and with which session. The caller's own project needs
// nothing; another project needs a token scoped to it (any user with a role there), or, for an
// admin without a role there, the admin's own token with cross-project filters.
import { ExitCode, PermafrostError } from '../errors.js';
import type { Session } from '../openstack/types.js';
import { IdentityClient, type Project } from '../../services/identity/client.js';
import { errorMessage, httpStatusOf } from '../../services/common/http-status.js';

/** How the project's resources are reached (reported in the output). */
export type ProjectAccess = 'own' | 'scoped' | 'cross-project';

export interface ProjectTarget {
  project: { id: string; name: string; domainId?: string; description?: string };
  session: Session;
  access: ProjectAccess;
  /** Whether `session` was opened for this target (and must be closed by the caller). */
  ownsSession: boolean;
}

export async function resolveProject(session: Session, nameOrId: string | undefined): Promise<ProjectTarget> {
  const own = session.project;
  if (!nameOrId || (own && (nameOrId === own.id || nameOrId === own.name))) {
    if (!own) {
      throw new PermafrostError(
        `cloud "${session.cloudName}" gives an unscoped token: set project_name/project_id in clouds.yaml or pass --project`,
        ExitCode.config,
      );
    }
    return { project: { id: own.id, name: own.name, domainId: own.domainId }, session, access: 'own', ownsSession: false };
  }
  const project = await findProject(session, nameOrId);
  const summary = { id: project.id, name: project.name, domainId: project.domain_id, description: project.description };
  try {
    const scoped = await session.scopedTo({ id: project.id });
    return { project: summary, session: scoped, access: 'scoped', ownsSession: true };
  } catch (err) {
    if (!session.isAdmin()) {
      throw new PermafrostError(
        `cannot list project "${nameOrId}": user has no role on it and is not an admin (${errorMessage(err)})`,
        ExitCode.forbidden,
        { cause: err },
      );
    }
    // Keystone refuses a scoped token without a role on the project: list it cross-project.
    return { project: summary, session, access: 'cross-project', ownsSession: false };
  }
}

/** By ID, then by name (admin: any project; others: the projects they have a role on). */
async function findProject(session: Session, nameOrId: string): Promise<Project> {
  const identity = await IdentityClient.open(session);
  let found: Project | undefined;
  try {
    found = await identity.findProject(nameOrId);
  } catch (err) {
    const status = httpStatusOf(err);
    if (status !== 403 && status !== 404) throw err;
    // A member may not search projects; the projects it has roles on are readable.
    const mine = await identity.listUserProjects(session.userId);
    const matches = mine.filter((p) => p.id === nameOrId || p.name === nameOrId);
    if (matches.length > 1) throw new PermafrostError(`project name "${nameOrId}" matches ${matches.length} projects; use the ID`, ExitCode.usage);
    found = matches[0];
  }
  if (!found) {
    throw new PermafrostError(`project "${nameOrId}" not found (or not visible to this user on cloud "${session.cloudName}")`, ExitCode.notFound);
  }
  return found;
}

/** Every project of the cloud (admin), domains excluded. */
export async function listAllProjects(session: Session): Promise<Project[]> {
  if (!session.isAdmin()) {
    throw new PermafrostError('--all-projects needs the admin role (the token carries: ' + (session.roles.join(', ') || 'no roles') + ')', ExitCode.forbidden);
  }
  const identity = await IdentityClient.open(session);
  const projects = await identity.listProjects();
  return projects.filter((p) => !p.is_domain).sort((a, b) => a.name.localeCompare(b.name));
}
