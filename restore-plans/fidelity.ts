// The fidelity comparison after a restore: a snapshot record against the restored resource as
// the target now reports it (best: the target's inventory record, which has the same shape),
// field by field. IDs and everything the plan mapped count as "mapped", volatile fields
// (timestamps, counters, host placement) as ignored; whatever else differs is a difference.
// Data is compared by sha256.
import { compareText } from './kind-stages.js';
import type { ResourceRecord } from '../src/model/resource.js';
import { flattenLeaves } from './field-paths.js';
import type { IdMap } from './id-map.js';
import { isRestoreMarker } from './source-marker.js';
import { coversPath, isVolatileField, TRANSITIONAL_STATUSES } from './volatile-fields.js';

export interface FidelityContext {
  /** Old ID → new ID of everything restored or mapped (the executor's ID map). */
  idMap: IdMap;
  /** The plan step's `mappedFields` (flavor, AZ, volume type, project, addresses...). */
  mappedFields?: Record<string, { from: unknown; to: unknown }>;
  /** sha256 of the restored data streams by stream name, when the executor hashed them. */
  restoredData?: Record<string, string>;
}

export interface FieldDifference {
  path: string;
  expected: unknown;
  actual: unknown;
}

export interface FidelityReport {
  kind: ResourceRecord['kind'];
  sourceId: string;
  name: string;
  /** true when no field and no data stream differs */
  identical: boolean;
  differences: FieldDifference[];
  mapped: { path: string; from: unknown; to: unknown }[];
  /** fields the target reports that the snapshot did not have (newer API): shown, not differences */
  added: string[];
  ignored: number;
  data: { stream: string; expected: string; actual?: string; verdict: 'equal' | 'different' | 'not-checked' }[];
}

const PROJECT_FIELDS = new Set(['project_id', 'tenant_id', 'os-vol-tenant-attr:tenant_id', 'owner', 'os-extended-snapshot-attributes:project_id']);
/** Arrays whose order carries no meaning: compared as sorted sets. */
const SET_FIELDS = new Set(['tags', 'security_groups', 'availability_zone_hints', 'dns_nameservers_sorted']);
/** Arrays whose order carries no meaning for one kind only (a server's interfaces are in NIC order). */
const KIND_SET_FIELDS: Partial<Record<ResourceRecord['kind'], ReadonlySet<string>>> = {
  router: new Set(['interfaces', 'routes']),
  subnet: new Set(['allocation_pools', 'host_routes']),
};

/** Whether the top-level array `key` of a `kind` record is compared as a set. */
export function isSetField(kind: ResourceRecord['kind'], key: string): boolean {
  return SET_FIELDS.has(key) || (KIND_SET_FIELDS[kind]?.has(key) ?? false);
}

export function compareFidelity(snapshot: ResourceRecord, restored: Record<string, unknown>, ctx: FidelityContext): FidelityReport {
  const newIdOf = new Map<string, string>();
  for (const table of Object.values(ctx.idMap)) for (const [oldId, entry] of Object.entries(table ?? {})) newIdOf.set(oldId, entry.id);
  // set-like arrays are sorted by their values in the target's terms, so that [A, B] and the
  // restored [B', A'] line up element by element however the new IDs happen to sort
  const translate = (value: unknown): unknown => deepMapStrings(value, (s) => newIdOf.get(s) ?? s);
  const expected = flattenLeaves(normalize(snapshot.fields, '', translate, snapshot.kind, true));
  const actual = flattenLeaves(normalize(restored, '', (v) => v, snapshot.kind, true));
  const mappedFields = ctx.mappedFields ?? {};
  const report: FidelityReport = {
    kind: snapshot.kind,
    sourceId: snapshot.id,
    name: snapshot.name,
    identical: true,
    differences: [],
    mapped: [],
    added: [],
    ignored: 0,
    data: [],
  };
  const mappedPrefixes = new Set<string>();
  for (const path of [...new Set([...expected.keys(), ...actual.keys()])].sort()) {
    const want = expected.get(path);
    const have = actual.get(path);
    if (isVolatileField(snapshot.kind, path)) {
      report.ignored += 1;
      continue;
    }
    const mappedBy = Object.keys(mappedFields).find((prefix) => coversPath(prefix, path));
    if (mappedBy !== undefined) {
      const rule = mappedFields[mappedBy]!;
      // a subtree mapped as a whole (flavor, addresses) or a value "assigned by the target" (to: null)
      if (mappedBy !== path || rule.to === null || sameValue(have, rule.to)) {
        if (!mappedPrefixes.has(mappedBy)) report.mapped.push({ path: mappedBy, from: rule.from, to: mappedBy === path ? have : rule.to });
        mappedPrefixes.add(mappedBy);
        continue;
      }
      report.differences.push({ path, expected: rule.to, actual: have });
      continue;
    }
    if (want === undefined || want === null) {
      if (have !== undefined && have !== null && !(Array.isArray(have) && have.length === 0)) report.added.push(path);
      continue;
    }
    if (path.split('.').pop() === 'status' && (TRANSITIONAL_STATUSES.has(String(want)) || TRANSITIONAL_STATUSES.has(String(have)))) {
      report.ignored += 1;
      continue;
    }
    if (typeof want === 'string' && newIdOf.has(want)) {
      if (have === want && newIdOf.get(want) === want) continue; // kept its ID (in place)
      if (have === newIdOf.get(want)) report.mapped.push({ path, from: want, to: have });
      else report.differences.push({ path, expected: `${want} → ${newIdOf.get(want)}`, actual: have });
      continue;
    }
    if (PROJECT_FIELDS.has(path)) {
      if (!sameValue(want, have)) report.mapped.push({ path, from: want, to: have });
      continue;
    }
    if (!sameValue(want, have)) report.differences.push({ path, expected: want, actual: have });
  }
  for (const stream of snapshot.data ?? []) {
    const got = ctx.restoredData?.[stream.stream];
    report.data.push({ stream: stream.stream, expected: stream.sha256, ...(got ? { actual: got } : {}), verdict: got === undefined ? 'not-checked' : got === stream.sha256 ? 'equal' : 'different' });
  }
  report.identical = report.differences.length === 0 && report.data.every((d) => d.verdict !== 'different');
  return report;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Drops restore markers and sorts set-like arrays, so neither shows up as a difference. */
function normalize(value: unknown, key: string, sortKey: (value: unknown) => unknown, kind: ResourceRecord['kind'], top = false): unknown {
  if (Array.isArray(value)) {
    const items = value.filter((item) => !(typeof item === 'string' && isRestoreMarker(item))).map((item) => normalize(item, '', sortKey, kind));
    if (!(SET_FIELDS.has(key) || (top && isSetField(kind, key)))) return items;
    return items
      .map((item) => ({ item, key: JSON.stringify(sortKey(item)) }))
      .sort((x, y) => compareText(x.key, y.key))
      .map((entry) => entry.item);
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (isRestoreMarker(k)) continue;
      out[k] = normalize(v, k, sortKey, kind, top && key === '');
    }
    return out;
  }
  return value;
}

function deepMapStrings(value: unknown, map: (s: string) => string): unknown {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item) => deepMapStrings(item, map));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, deepMapStrings(v, map)]));
  }
  return value;
}
