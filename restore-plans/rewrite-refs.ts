// Rewrites the references inside a snapshot record's fields with the target's IDs (and names,
// where a field holds a name), so the executor can send the fields to the target cloud.
import type { ResourceRecord, ResourceRef } from '../src/model/resource.js';
import { cloneFields, getPath, setPath } from './field-paths.js';
import { lookupId, type IdMap } from './id-map.js';

export interface RewriteResult {
  fields: Record<string, unknown>;
  rewritten: { field: string; kind: ResourceRef['kind']; from: unknown; to: unknown }[];
  /** References whose target is not (yet) in the ID map; their fields are left as they were. */
  unresolved: ResourceRef[];
}

/** Fields holding the owning project's ID (rewritten when the ID map knows the project). */
const PROJECT_FIELDS = ['project_id', 'tenant_id', 'os-vol-tenant-attr:tenant_id', 'owner'];

export function rewriteRefs(record: ResourceRecord, idMap: IdMap): RewriteResult {
  const fields = cloneFields(record.fields);
  const rewritten: RewriteResult['rewritten'] = [];
  const unresolved: ResourceRef[] = [];
  for (const ref of record.refs) {
    const entry = lookupId(idMap, ref.kind, ref.id);
    const current = getPath(fields, ref.field);
    if (current === undefined) continue;
    if (!entry) {
      unresolved.push(ref);
      continue;
    }
    const next = replaceValue(current, ref, entry);
    if (next !== current && setPath(fields, ref.field, next)) rewritten.push({ field: ref.field, kind: ref.kind, from: current, to: next });
  }
  const project = record.projectId ? lookupId(idMap, 'project', record.projectId) : undefined;
  if (project && record.projectId) {
    for (const field of PROJECT_FIELDS) {
      if (fields[field] === record.projectId) {
        fields[field] = project.id;
        rewritten.push({ field, kind: 'project', from: record.projectId, to: project.id });
      }
    }
  }
  return { fields, rewritten, unresolved };
}

/** The value with the old ID (or the old name) replaced; the same value when nothing matches. */
function replaceValue(current: unknown, ref: ResourceRef, entry: { id: string; name?: string }): unknown {
  if (typeof current === 'string') {
    if (current === ref.id) return entry.id;
    if (entry.name !== undefined && ref.name !== undefined && current === ref.name) return entry.name;
    return current;
  }
  if (Array.isArray(current)) {
    const replaced = current.map((item) => replaceValue(item, ref, entry));
    return replaced.some((item, i) => item !== current[i]) ? replaced : current;
  }
  if (current !== null && typeof current === 'object' && (current as { id?: unknown }).id === ref.id) {
    return { ...(current as object), id: entry.id };
  }
  return current;
}
