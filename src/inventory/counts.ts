// Per-kind counts of an inventory, in the canonical kind order (then any unknown kind by name).
import { RESOURCE_KINDS } from '../model/kinds.js';
import type { ResourceRecord } from '../model/resource.js';

/** Counts per kind; `kinds` are listed with 0 when no resource of theirs was found. */
export function countByKind(resources: Pick<ResourceRecord, 'kind'>[], kinds: readonly string[] = []): Record<string, number> {
  const counts = new Map<string, number>(kinds.map((k) => [k, 0]));
  for (const r of resources) counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
  const order = (k: string) => {
    const i = (RESOURCE_KINDS as readonly string[]).indexOf(k);
    return i < 0 ? RESOURCE_KINDS.length : i;
  };
  return Object.fromEntries([...counts.entries()].sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b)));
}

/** Resources sorted by kind order, then name, then ID (stable, readable output). */
export function sortResources<T extends Pick<ResourceRecord, 'kind' | 'name' | 'id'>>(resources: T[]): T[] {
  const order = (k: string) => {
    const i = (RESOURCE_KINDS as readonly string[]).indexOf(k);
    return i < 0 ? RESOURCE_KINDS.length : i;
  };
  return [...resources].sort((a, b) => order(a.kind) - order(b.kind) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}
