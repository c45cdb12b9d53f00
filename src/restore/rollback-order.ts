// The order a rollback deletes in: every step after the steps that depend on it (the reverse of
// the plan's dependencies), and among the steps free to go, links before resources — floating-IP
// associations and volume attachments first, then router interfaces, then the rest, newest wave
// first. What holds resources in place without being a step of its own (a router's static routes
// need its interfaces) is released before anything is deleted: `loosen` lists those steps.
import type { Plan, PlanStep } from '../../restore-plans/plan-schema.js';

/** Kinds whose resources hold others in place by settings of their own (routes): loosened first. */
const LOOSENED_KINDS: ReadonlySet<PlanStep['kind']> = new Set(['router']);

function rank(step: PlanStep): number {
  if (step.operation === 'floating-ip-associate' || step.operation === 'volume-attach') return 0;
  if (step.operation === 'router-interface') return 1;
  return 2;
}

export interface RollbackOrder {
  /** Steps whose resources drop their hold on others before the first deletion (routers: routes). */
  loosen: string[];
  /** Every step of the plan, in the order its undo runs. */
  remove: string[];
}

export function rollbackOrder(plan: Pick<Plan, 'steps' | 'waves'>): RollbackOrder {
  const waveOf = new Map<string, number>();
  plan.waves.forEach((wave, i) => wave.forEach((id) => waveOf.set(id, i)));
  const ids = plan.waves.flat();
  // dependents[x] = steps that need x: all of them go before x
  const waiting = new Map<string, number>(ids.map((id) => [id, 0]));
  const needs = new Map<string, string[]>();
  for (const id of ids) {
    for (const dep of plan.steps[id]?.dependsOn ?? []) {
      if (!waiting.has(dep)) continue;
      waiting.set(dep, waiting.get(dep)! + 1);
      needs.set(id, [...(needs.get(id) ?? []), dep]);
    }
  }
  const before = (a: string, b: string) => rank(plan.steps[a]!) - rank(plan.steps[b]!) || waveOf.get(b)! - waveOf.get(a)! || ids.indexOf(b) - ids.indexOf(a);
  const ready = ids.filter((id) => waiting.get(id) === 0);
  const remove: string[] = [];
  while (ready.length > 0) {
    ready.sort(before);
    const next = ready.shift()!;
    remove.push(next);
    for (const dep of needs.get(next) ?? []) {
      const left = waiting.get(dep)! - 1;
      waiting.set(dep, left);
      if (left === 0) ready.push(dep);
    }
  }
  // a dependency cycle (a hand-edited plan): what is left goes newest first
  for (const id of [...ids].reverse()) if (!remove.includes(id)) remove.push(id);
  const loosen = remove.filter((id) => plan.steps[id]!.operation === 'restore' && LOOSENED_KINDS.has(plan.steps[id]!.kind));
  return { loosen, remove };
}
