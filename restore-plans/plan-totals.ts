// Counts and byte totals of a plan, recomputed from its steps (so an edited plan file shows
// the right figures).
import type { Plan, PlanTotals } from './plan-schema.js';

export function computeTotals(plan: Pick<Plan, 'steps' | 'notes'>): PlanTotals {
  const totals: PlanTotals = {
    steps: 0,
    actions: { create: 0, reuse: 0, skip: 0, update: 0, map: 0 },
    bytesToTransfer: 0,
    bytesAvoided: 0,
    warnings: plan.notes.filter((n) => n.level === 'warning').length,
  };
  for (const step of Object.values(plan.steps)) {
    totals.steps += 1;
    totals.actions[step.action] += 1;
    totals.warnings += step.notes.filter((n) => n.level === 'warning').length;
    const streamBytes = step.data.streams.reduce((sum, s) => sum + s.size, 0);
    if (step.action === 'create' || step.action === 'update') {
      totals.bytesToTransfer += step.data.bytes;
      totals.bytesAvoided += streamBytes - step.data.bytes;
    } else {
      totals.bytesAvoided += streamBytes;
    }
  }
  return totals;
}
