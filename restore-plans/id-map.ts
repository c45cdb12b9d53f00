// The old-ID → new-ID table of a restore, per kind. The executor fills it as steps finish and
// persists it (it is plain JSON), so a resumed run knows what exists already; rewriteRefs uses it
// to turn a snapshot record's references into the target's IDs.
import type { ResourceKind } from '../src/model/kinds.js';
import type { Plan } from './plan-schema.js';

export interface IdMapEntry {
  id: string;
  /** Target name, for references that hold a name (flavor.original_name, key_name, group names). */
  name?: string;
}

export type IdMap = Partial<Record<ResourceKind, Record<string, IdMapEntry>>>;

export function setId(map: IdMap, kind: ResourceKind, oldId: string, entry: IdMapEntry): void {
  (map[kind] ??= {})[oldId] = entry;
}

export function lookupId(map: IdMap, kind: ResourceKind, oldId: string): IdMapEntry | undefined {
  return map[kind]?.[oldId];
}

/**
 * What is known before anything runs: mapped resources (flavors, external networks...) and
 * resources that exist in the target (reuse, skip, update), by their old IDs.
 */
export function initialIdMap(plan: Plan): IdMap {
  const map: IdMap = {};
  for (const step of Object.values(plan.steps)) {
    if (step.operation !== 'restore') continue;
    let id = step.targetId;
    let name = step.targetName;
    if (step.action === 'map' && step.mapping && step.mapping.kind !== 'project') {
      const entry = plan.mappings[step.mapping.kind][step.mapping.from];
      id = entry?.toId ?? id;
      name = entry?.to ?? name;
    }
    if (step.action === 'create' || id === undefined) continue;
    setId(map, step.kind, step.sourceId, { id, ...(name ? { name } : {}) });
  }
  if (plan.target.project.id) setId(map, 'project', plan.source.project.id, { id: plan.target.project.id, name: plan.target.project.name });
  return map;
}
