// Orders steps into waves: the coarse stages (identity → networks → images → volumes → servers →
// objects), each split into layers by the real dependencies (longest-path layering), so that a
// wave holds only steps whose dependencies are all in earlier waves. A step that depends on a
// later stage moves into that stage. Order inside a wave is deterministic (kind, name, ID).
import type { PlanStep, PreflightIssue } from './plan-schema.js';
import { compareText, KIND_ORDER, stageOf } from './kind-stages.js';

export interface Layering {
  waves: string[][];
  errors: PreflightIssue[];
}

export function layerIntoWaves(steps: ReadonlyMap<string, PlanStep>): Layering {
  const ids = [...steps.keys()].sort(compareSteps(steps));
  const stage = new Map<string, number>();
  const layer = new Map<string, number>();
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[][] = [];

  // iterative DFS (no recursion limit on big projects); computes stage, then layer within stage
  const visit = (root: string) => {
    const stack: { id: string; next: number; path: string[] }[] = [{ id: root, next: 0, path: [root] }];
    state.set(root, 'visiting');
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const deps = steps.get(frame.id)!.dependsOn.filter((d) => steps.has(d));
      if (frame.next < deps.length) {
        const dep = deps[frame.next++]!;
        const depState = state.get(dep);
        if (depState === 'visiting') {
          const from = frame.path.indexOf(dep);
          cycles.push(from >= 0 ? frame.path.slice(from) : [dep, frame.id]);
        } else if (depState === undefined) {
          state.set(dep, 'visiting');
          stack.push({ id: dep, next: 0, path: [...frame.path, dep] });
        }
        continue;
      }
      const own = stageOf(steps.get(frame.id)!.kind);
      const depStages = deps.map((d) => stage.get(d) ?? 0);
      const myStage = Math.max(own, ...depStages);
      const myLayer = Math.max(0, ...deps.filter((d) => stage.get(d) === myStage).map((d) => (layer.get(d) ?? 0) + 1));
      stage.set(frame.id, myStage);
      layer.set(frame.id, myLayer);
      state.set(frame.id, 'done');
      stack.pop();
    }
  };
  for (const id of ids) if (!state.has(id)) visit(id);

  const errors: PreflightIssue[] = cycles.map((cycle) => ({
    code: 'dependency-cycle',
    stepId: cycle[0]!,
    message: `dependency cycle: ${[...cycle, cycle[0]].join(' → ')}`,
    hint: 'edit the plan file: remove one of these dependencies or set one step to "skip"',
  }));

  const buckets = new Map<string, string[]>();
  for (const id of ids) {
    const key = `${String(stage.get(id)).padStart(3, '0')}.${String(layer.get(id)).padStart(6, '0')}`;
    const bucket = buckets.get(key);
    if (bucket) bucket.push(id);
    else buckets.set(key, [id]);
  }
  const waves = [...buckets.keys()].sort().map((key) => buckets.get(key)!);
  return { waves, errors };
}

export function compareSteps(steps: ReadonlyMap<string, PlanStep>): (a: string, b: string) => number {
  return (a, b) => {
    const sa = steps.get(a)!;
    const sb = steps.get(b)!;
    return (
      KIND_ORDER.indexOf(sa.kind) - KIND_ORDER.indexOf(sb.kind) ||
      compareText(sa.name, sb.name) ||
      compareText(sa.operation, sb.operation) ||
      compareText(a, b)
    );
  };
}
