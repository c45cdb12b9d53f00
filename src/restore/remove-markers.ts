// The end of an apply: the restore markers (`pf-restore:`/`pf-src:` tags, permafrost_* metadata
// and image properties) come off everything the restore made, so the restored project holds the
// resources as they were and nothing of permafrost's. Until then they stay: a run killed before
// the end finds its own work by them. The state file keeps the old-ID → new-ID map, which is
// all a later rollback or verify needs. Idempotent: a run killed while removing them removes the
// rest when apply runs again.
import type { KindRestorer, OperationRestorer } from '../../services/restore-hooks.js';
import { restorerFor, toRestoreStep, type ApplyOptions } from './executor.js';
import { contextForStep, recordKey, type RunContext } from './restore-context.js';

export async function removeMarkers(opts: ApplyOptions, run: RunContext): Promise<{ resources: number; failed: string[] }> {
  const { plan, store } = opts;
  let resources = 0;
  const failed: string[] = [];
  for (const stepId of plan.waves.flat()) {
    const step = plan.steps[stepId]!;
    const st = store.step(stepId);
    if (st.status !== 'done' || !st.targetId || !(st.created || step.action === 'update')) continue;
    const ctx = contextForStep(run, stepId, run.records.get(recordKey(step.kind, step.sourceId)), []);
    const restoreStep = toRestoreStep(step);
    // the step's resource, then the helpers it keeps (a server's root-disk image)
    const targets: Array<{ restorer: KindRestorer | OperationRestorer | undefined; id: string }> = [{ restorer: restorerFor(opts.modules, step), id: st.targetId }];
    for (const aux of st.auxiliary ?? []) if (!aux.temporary) targets.push({ restorer: restorerFor(opts.modules, { kind: aux.kind, operation: 'restore' }), id: aux.id });
    for (const { restorer, id } of targets) {
      if (!restorer?.unmark) continue;
      try {
        await restorer.unmark(ctx, restoreStep, id);
        resources += 1;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        failed.push(`${stepId} (${id}): ${message}`);
        await store.update(() => (st.notes = [...(st.notes ?? []), `restore marker not removed: ${message}`]));
      }
    }
  }
  if (failed.length === 0) await store.update((s) => (s.markersRemovedAt = new Date().toISOString()));
  return { resources, failed };
}
