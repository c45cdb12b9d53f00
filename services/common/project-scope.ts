// An admin may inventory a project it has no role on: Keystone then refuses a token scoped to
// that project, so the admin's own token is used with cross-project filters (all_tenants,
// project_id, owner). Modules ask this to pick those filters.
import type { InventoryContext } from '../module.js';

/** Whether the session's token is scoped to another project than the one being listed. */
export function isCrossProject(ctx: Pick<InventoryContext, 'session' | 'projectId'>): boolean {
  return ctx.session.project?.id !== ctx.projectId;
}
