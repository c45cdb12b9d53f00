// Selective restore (`--only`): the selected resources, the steps that belong to them (a
// server's ports, attachments and floating IPs; a group's rules; a container's objects when the
// container itself is selected) and, transitively, everything they depend on.
import type { ResourceRecord } from '../src/model/resource.js';
import { PermafrostError, ExitCode } from '../src/errors.js';
import { formatSelector, selectorMatches, type Selector } from './selectors.js';
import type { StepGraph } from './step-graph.js';

export function selectSteps(graph: StepGraph, records: readonly ResourceRecord[], selectors: readonly Selector[]): Set<string> {
  const selected = new Set<string>();
  const unmatched: string[] = [];
  const direct: string[] = [];
  for (const selector of selectors) {
    const hits = records.filter((record) => selectorMatches(selector, record));
    if (hits.length === 0) unmatched.push(formatSelector(selector));
    for (const record of hits) direct.push(...(graph.stepsOfRecord.get(`${record.kind}:${record.id}`) ?? []));
  }
  if (unmatched.length > 0) {
    const kinds = [...new Set(selectors.map((s) => s.kind))];
    const available = kinds
      .map((kind) => `${kind}: ${records.filter((r) => r.kind === kind).map((r) => r.name || r.id).sort().slice(0, 20).join(', ') || '(none)'}`)
      .join('; ');
    throw new PermafrostError(`--only ${unmatched.join(', ')}: no such resource in the snapshot (${available})`, ExitCode.notFound);
  }

  const children = new Map<string, { child: string; essential: boolean }[]>();
  for (const [child, owners] of graph.owners) {
    for (const { parent, essential } of owners) {
      const list = children.get(parent);
      if (list) list.push({ child, essential });
      else children.set(parent, [{ child, essential }]);
    }
  }
  const directSet = new Set(direct);
  const queue = [...direct];
  // bounded: every step enters the queue at most once
  let head = 0;
  while (head < queue.length) {
    const id = queue[head++]!;
    if (selected.has(id) || !graph.steps.has(id)) continue;
    selected.add(id);
    for (const dep of graph.steps.get(id)!.dependsOn) if (!selected.has(dep)) queue.push(dep);
    for (const { child, essential } of children.get(id) ?? []) {
      if ((essential || directSet.has(id)) && !selected.has(child)) queue.push(child);
    }
  }
  return selected;
}
