// `restore apply --rollback`: deletes what a restore created in the order the cloud needs
// (rollback-order.ts): routers' static routes dropped first, then links (associations,
// attachments, router interfaces) before resources, servers before ports and volumes, subnets
// before networks. Resources the restore only reused, mapped or
// updated are never touched. Steps that were running when a run died may have created something
// the state file does not know yet: they are looked up by their restore marker first.
import type { KindRestorer, OperationRestorer, RestoreContext } from '../../services/restore-hooks.js';
import { restorerFor, toRestoreStep, type ApplyOptions } from './executor.js';
import { contextForStep, recordKey, type RunContext } from './restore-context.js';
import { rollbackOrder } from './rollback-order.js';
import { deleteCreatedProject } from './target-project.js';

/** What a rollback needs: the same as an apply, without the step parallelism (it deletes one by one). */
export type RollbackOptions = Omit<ApplyOptions, 'parallelism'>;

export async function rollbackRestore(opts: RollbackOptions): Promise<{ deleted: number; failed: number }> {
  const { plan, store, reporter } = opts;
  const projectId = store.state.targetProjectId;
  if (!projectId) {
    reporter.emit({ event: 'rollback-done', deleted: 0, failed: 0 });
    return { deleted: 0, failed: 0 };
  }
  const session = opts.session.project?.id === projectId ? opts.session : await opts.session.scopedTo({ id: projectId });
  const run: RunContext = {
    session,
    projectId,
    restoreId: plan.id,
    mode: plan.mode,
    sameCloud: plan.mappings.cloud.same,
    snapshotId: plan.snapshot.id,
    repository: opts.repository,
    records: new Map(opts.records.map((r) => [recordKey(r.kind, r.id), r])),
    store,
    signal: opts.signal,
    onBytes: () => undefined,
  };
  let deleted = 0;
  let failed = 0;
  const order = rollbackOrder(plan);
  const createdTarget = async (stepId: string, ctx: RestoreContext, restorer: ReturnType<typeof restorerFor>): Promise<string | undefined> => {
    const step = plan.steps[stepId]!;
    const st = store.step(stepId);
    if (st.created && st.targetId) return st.targetId;
    // a step that was running when a run died may have made its resource without recording it
    if (restorer && step.action === 'create' && (st.status === 'running' || st.status === 'failed')) return restorer.findExisting(ctx, toRestoreStep(step));
    return undefined;
  };
  for (const stepId of order.loosen) {
    const step = plan.steps[stepId]!;
    const restorer = restorerFor(opts.modules, step);
    if (!restorer || !isKindRestorer(restorer) || !restorer.loosen) continue;
    const ctx = contextForStep(run, stepId, run.records.get(recordKey(step.kind, step.sourceId)), []);
    try {
      const targetId = await createdTarget(stepId, ctx, restorer);
      if (targetId) await restorer.loosen(ctx, toRestoreStep(step), targetId);
    } catch (err) {
      // the deletions that need it fail with the cloud's own reason, and are counted there
      await store.update(() => (store.step(stepId).error = `rollback: could not release its hold on other resources: ${err instanceof Error ? err.message : String(err)}`));
    }
  }
  for (const stepId of order.remove) {
    const step = plan.steps[stepId]!;
    const st = store.step(stepId);
    const restorer = restorerFor(opts.modules, step);
    const ctx = contextForStep(run, stepId, run.records.get(recordKey(step.kind, step.sourceId)), []);
    const restoreStep = toRestoreStep(step);
    let targetId: string | undefined;
    try {
      targetId = await createdTarget(stepId, ctx, restorer);
      if (targetId && restorer) {
        if (isKindRestorer(restorer)) await restorer.delete(ctx, restoreStep, targetId);
        else await restorer.undo(ctx, restoreStep, targetId);
        deleted += 1;
        reporter.emit({ event: 'rollback-step', stepId, targetId, result: 'deleted' });
      }
      // helper images (root disks, temporaries) go with their step
      for (const aux of st.auxiliary ?? []) {
        const auxRestorer = restorerFor(opts.modules, { kind: aux.kind, operation: 'restore' });
        if (auxRestorer && isKindRestorer(auxRestorer)) await auxRestorer.delete(ctx, restoreStep, aux.id);
      }
      await store.update(() => {
        if (targetId || st.status !== 'pending') st.status = 'rolled-back';
        st.auxiliary = [];
        if (targetId) st.created = false;
      });
    } catch (err) {
      failed += 1;
      const message = err instanceof Error ? err.message : String(err);
      reporter.emit({ event: 'rollback-step', stepId, targetId: targetId ?? '?', result: 'failed', error: message });
      await store.update(() => (st.error = `rollback: ${message}`));
    }
  }
  if (store.state.projectCreated && failed === 0) {
    try {
      await deleteCreatedProject(opts.session, projectId);
      await store.update((s) => {
        s.projectCreated = false;
        delete s.targetProjectId;
      });
    } catch (err) {
      failed += 1;
      reporter.emit({ event: 'rollback-step', stepId: 'project', targetId: projectId, result: 'failed', error: err instanceof Error ? err.message : String(err) });
    }
  }
  await store.update((s) => {
    s.rolledBackAt = new Date().toISOString();
    delete s.markersRemovedAt;
    if (failed === 0) {
      s.idMap = {};
      delete s.finishedAt;
    }
  });
  await store.flush();
  reporter.emit({ event: 'rollback-done', deleted, failed });
  return { deleted, failed };
}

function isKindRestorer(r: KindRestorer | OperationRestorer): r is KindRestorer {
  return 'create' in r;
}
