// The project a restore writes into: found (by ID, else by name), or created when the plan says
// so (admin only). The returned session is scoped to it, because every other step creates its
// resources "in the project of the token".
import { IdentityClient } from '../../services/identity/client.js';
import { ExitCode, PermafrostError } from '../errors.js';
import type { Session } from '../openstack/types.js';
import type { Plan } from '../../restore-plans/plan-schema.js';
import type { StateStore } from './state-file.js';
import type { RestoreReporter } from './events.js';

export async function openTargetProject(session: Session, plan: Plan, store: StateStore, reporter: RestoreReporter): Promise<{ session: Session; projectId: string }> {
  const target = plan.target.project;
  if (session.project && (session.project.id === (store.state.targetProjectId ?? target.id) || session.project.name === target.name)) {
    await store.update((s) => (s.targetProjectId = session.project!.id));
    return { session, projectId: session.project.id };
  }
  const identity = await IdentityClient.open(session);
  // a member may read only the project its token is scoped to, but may list its own projects
  const mine = session.isAdmin() ? undefined : await identity.listUserProjects(session.userId).catch(() => undefined);
  const exists = async (id: string) => (mine ? mine.some((p) => p.id === id) : identity.getProject(id).then(() => true).catch(() => false));
  let projectId = store.state.targetProjectId ?? target.id;
  if (projectId && !(await exists(projectId))) projectId = undefined;
  if (!projectId) projectId = mine ? mine.find((p) => p.name === target.name)?.id : (await identity.findProject(target.name).catch(() => undefined))?.id;
  const projectStep = Object.values(plan.steps).find((s) => s.kind === 'project' && s.operation === 'restore');
  if (!projectId) {
    if (projectStep?.action !== 'create') {
      throw new PermafrostError(`the target project ${target.name} does not exist: plan again (restore plan … --create-project) or create it`, ExitCode.notFound);
    }
    if (!session.isAdmin()) throw new PermafrostError(`creating project ${target.name} needs the admin role: restore as admin or create the project first`, ExitCode.forbidden);
    const record = plan.source.project;
    const made = await identity.createProject({ name: target.name, description: `restored by permafrost from ${record.name} (snapshot ${plan.snapshot.id})`, ...(session.project?.domainId ? { domain_id: session.project.domainId } : {}) });
    projectId = made.id;
    await store.update((s) => {
      s.targetProjectId = made.id;
      s.projectCreated = true;
    });
    reporter.emit({ event: 'project', action: 'created', projectId: made.id, name: target.name });
  } else {
    await store.update((s) => (s.targetProjectId = projectId));
    reporter.emit({ event: 'project', action: 'found', projectId, name: target.name });
  }
  // the restoring user needs a role on the project to work in it; an admin gives itself one
  if (session.isAdmin()) {
    const admin = (await identity.listRoles({ name: 'admin' }))[0];
    if (admin) await identity.grantProjectRole(projectId, { userId: session.userId }, admin.id).catch(() => undefined);
  }
  try {
    return { session: await session.scopedTo({ id: projectId }), projectId };
  } catch (err) {
    throw new PermafrostError(`cannot work in the target project ${target.name} (${projectId}): ${(err as Error).message}; the restoring user needs a role on it`, ExitCode.forbidden, { cause: err });
  }
}

/** Rollback of a created project (only when this restore created it and it is empty again). */
export async function deleteCreatedProject(session: Session, projectId: string): Promise<void> {
  const identity = await IdentityClient.open(session);
  await identity.deleteProject(projectId);
}
