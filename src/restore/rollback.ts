// `restore apply --rollback`: deletes what a restore created, newest first (the reverse of the
// plan's order), so attachments and interfaces go before servers and routers, servers before
// ports and volumes, subnets before networks. Resources the restore only reused, mapped or
// updated are never touched. Steps that were running when a run died may have created something
// the state file does not know yet: they are looked up by their restore marker first.
import type { KindRestorer, OperationRestorer } from '../../services/restore-hooks.js';
import { restorerFor, toRestoreStep, type ApplyOptions } from './executor.js';
import { contextForStep, recordKey, type RunContext } from './restore-context.js';
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
  const order = plan.waves.flat().reverse();
  for (const stepId of order) {
    const step = plan.steps[stepId]!;
    const st = store.step(stepId);
    const restorer = restorerFor(opts.modules, step);
    const ctx = contextForStep(run, stepId, run.records.get(recordKey(step.kind, step.sourceId)), []);
    const restoreStep = toRestoreStep(step);
    let targetId = st.created ? st.targetId : undefined;
    try {
      if (!targetId && restorer && step.action === 'create' && (st.status === 'running' || st.status === 'failed')) {
        targetId = await restorer.findExisting(ctx, restoreStep);
      }
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
