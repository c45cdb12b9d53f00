// Resolves every mapping a restore needs against the target's facts, before any step exists:
// flavors (explicit, by name, by exact vCPU/RAM/disk), external/shared networks, subnet pools,
// volume types, availability zones, images outside the snapshot, users, groups, roles, and the
// image reuse by checksum. Whatever cannot be satisfied becomes a preflight error naming the
// source value, who uses it and what to pass instead.
import { compareText } from './kind-stages.js';
import type { ResourceKind } from '../src/model/kinds.js';
import type { ResourceRecord } from '../src/model/resource.js';
import { getPath } from './field-paths.js';
import type { MappingKind, MappingRules } from './mapping-rules.js';
import type { MappingEntry, PlanNote, PreflightIssue } from './plan-schema.js';
import type { NamedTarget, SnapshotManifestInput, TargetFacts, TargetFlavor, TargetImage } from './planner-input.js';
import { classifyReference } from './reference-roles.js';

export type MappingTables = Record<Exclude<MappingKind, 'project'>, Record<string, MappingEntry>>;

export interface MappingResolution {
  tables: MappingTables;
  /** `kind:oldId` of a referenced resource outside the snapshot → its mapping entry. */
  externalRefs: Map<string, { kind: MappingKind; from: string }>;
  /** `kind:oldId` of a snapshot record matched to a target resource (users, roles, images...). */
  recordMatches: Map<string, { kind: MappingKind; from: string }>;
  errors: PreflightIssue[];
  notes: PlanNote[];
  /** `kind\u0000from` of the mappings the user gave explicitly (never overridden by a twin in the target). */
  explicit: Set<string>;
}

export interface FlavorSpec {
  vcpus?: number;
  ram?: number;
  disk?: number;
  ephemeral?: number;
  swap?: number;
}

interface Demand {
  kind: MappingKind;
  key: string;
  ids: Set<string>;
  /** Human labels of the resources that need it, for messages. */
  users: Set<string>;
  spec?: FlavorSpec;
  /** Used as a router gateway or floating-IP pool: the target network must be external. */
  external?: boolean;
  /** Where an AZ is needed: compute (servers) and/or volume. */
  azServices?: Set<'compute' | 'volume'>;
  /** An image needed only by servers that carry their own root disk: missing is a warning. */
  soft?: boolean;
  record?: ResourceRecord;
}

const MAPPABLE: Partial<Record<ResourceKind, MappingKind>> = {
  flavor: 'flavor',
  network: 'network',
  subnet_pool: 'subnet_pool',
  volume_type: 'volume_type',
  image: 'image',
  user: 'user',
  group: 'group',
  role: 'role',
};

export function mappingKindOf(kind: ResourceKind): MappingKind | undefined {
  return MAPPABLE[kind];
}

export function label(record: { kind: string; name: string; id: string }): string {
  return record.name ? `${record.kind} ${record.name}` : `${record.kind} ${record.id}`;
}

export function flavorSpecOf(value: unknown): FlavorSpec | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const num = (x: unknown) => (typeof x === 'number' ? x : typeof x === 'string' && x !== '' && !Number.isNaN(Number(x)) ? Number(x) : undefined);
  const spec: FlavorSpec = { vcpus: num(v.vcpus), ram: num(v.ram), disk: num(v.disk), ephemeral: num(v.ephemeral ?? v['OS-FLV-EXT-DATA:ephemeral']), swap: num(v.swap === '' ? 0 : v.swap) };
  return spec.vcpus === undefined && spec.ram === undefined && spec.disk === undefined ? undefined : spec;
}

export function describeSpec(spec: FlavorSpec | undefined): string {
  if (!spec) return 'spec unknown';
  return `${spec.vcpus ?? '?'} vCPU, ${spec.ram ?? '?'} MiB RAM, ${spec.disk ?? '?'} GB disk`;
}

function sameSpec(want: FlavorSpec, have: TargetFlavor): boolean {
  if (want.vcpus !== have.vcpus || want.ram !== have.ram || want.disk !== have.disk) return false;
  if (want.ephemeral !== undefined && have.ephemeral !== undefined && want.ephemeral !== have.ephemeral) return false;
  if (want.swap !== undefined && have.swap !== undefined && want.swap !== have.swap) return false;
  return true;
}

function findNamed<T extends { id: string; name: string }>(list: readonly T[], value: string): T | undefined {
  return list.find((item) => item.id === value) ?? list.find((item) => item.name === value);
}

function sortedNames(list: readonly { name: string }[]): string {
  const names = [...new Set(list.map((item) => item.name))].sort();
  return names.length === 0 ? '(none)' : names.join(', ');
}

export function resolveMappings(
  manifest: SnapshotManifestInput,
  facts: TargetFacts,
  rules: MappingRules,
  options: { reuseImagesByChecksum: boolean },
): MappingResolution {
  const records = manifest.resources.filter((r) => r.status === 'ok');
  const inSnapshot = new Set(manifest.resources.map((r) => `${r.kind}:${r.id}`));
  const demands = new Map<string, Demand>(); // `${kind}\u0000${key}`
  const externalRefs = new Map<string, { kind: MappingKind; from: string }>();
  const recordMatches = new Map<string, { kind: MappingKind; from: string }>();
  const errors: PreflightIssue[] = [];
  const notes: PlanNote[] = [];

  const demand = (kind: MappingKind, key: string, id: string | undefined, user: string): Demand => {
    const mapKey = `${kind}\u0000${key}`;
    let d = demands.get(mapKey);
    if (!d) {
      d = { kind, key, ids: new Set(), users: new Set() };
      demands.set(mapKey, d);
    }
    if (id) d.ids.add(id);
    d.users.add(user);
    return d;
  };

  // ---- references to resources outside the snapshot (public flavors, external networks, ...)
  for (const record of records) {
    for (const ref of record.refs) {
      if (inSnapshot.has(`${ref.kind}:${ref.id}`)) continue;
      const role = classifyReference(record, ref, manifest.source.project.id);
      if (role !== 'dependency' && role !== 'attachment' && role !== 'association') continue;
      const kind = MAPPABLE[ref.kind];
      if (!kind) continue; // reported by the step builder as an unresolvable reference
      let key = ref.name && ref.name !== '' ? ref.name : ref.id;
      if (kind === 'flavor' && record.kind === 'server') {
        key = String(getPath(record.fields, 'flavor.original_name') ?? key);
      }
      const d = demand(kind, key, ref.id, label(record));
      externalRefs.set(`${ref.kind}:${ref.id}`, { kind, from: key });
      if (kind === 'flavor' && record.kind === 'server') d.spec ??= flavorSpecOf(record.fields.flavor);
      if (kind === 'network' && (record.kind === 'floating_ip' || (record.kind === 'router' && ref.field.startsWith('external_gateway_info')))) {
        d.external = true;
      }
      if (kind === 'image' && (record.kind === 'server' || record.kind === 'volume')) {
        // a server's root disk and a volume's bytes come from the backup: the image they were made from is history
        const ownData = (record.data?.length ?? 0) > 0;
        d.soft = (d.soft ?? true) && ownData;
      } else if (kind === 'image') {
        d.soft = false;
      }
    }
  }
  // servers without a flavor reference (older backups): the embedded flavor names it
  for (const server of records.filter((r) => r.kind === 'server' && !r.refs.some((ref) => ref.kind === 'flavor'))) {
    const name = getPath(server.fields, 'flavor.original_name');
    if (typeof name === 'string') {
      const d = demand('flavor', name, undefined, label(server));
      d.spec ??= flavorSpecOf(server.fields.flavor);
      externalRefs.set(`flavor:${name}`, { kind: 'flavor', from: name });
    }
  }

  // ---- volume types and availability zones are plain fields
  for (const record of records) {
    if (record.kind === 'volume') {
      const type = record.fields.volume_type;
      const typeRef = record.refs.find((ref) => ref.kind === 'volume_type');
      if (typeof type === 'string' && type !== '' && !(typeRef && inSnapshot.has(`volume_type:${typeRef.id}`))) {
        demand('volume_type', type, typeRef?.id, label(record));
        if (typeRef) externalRefs.set(`volume_type:${typeRef.id}`, { kind: 'volume_type', from: type });
      }
      const az = record.fields.availability_zone;
      if (typeof az === 'string' && az !== '') (demand('availability_zone', az, undefined, label(record)).azServices ??= new Set()).add('volume');
    }
    if (record.kind === 'server') {
      const az = record.fields['OS-EXT-AZ:availability_zone'];
      if (typeof az === 'string' && az !== '') (demand('availability_zone', az, undefined, label(record)).azServices ??= new Set()).add('compute');
    }
  }

  // ---- snapshot records that may be matched to a target resource instead of created
  const referrers = new Map<string, string[]>();
  for (const record of records) {
    for (const ref of record.refs) {
      const list = referrers.get(`${ref.kind}:${ref.id}`);
      if (list) list.push(label(record));
      else referrers.set(`${ref.kind}:${ref.id}`, [label(record)]);
    }
  }
  for (const record of records) {
    const kind = MAPPABLE[record.kind];
    if (!kind || kind === 'network' || kind === 'subnet_pool') continue;
    // messages name who needs it (the servers of a flavor), or the record itself when nothing refers to it
    const users = referrers.get(`${record.kind}:${record.id}`) ?? [label(record)];
    const d = demand(kind, record.name !== '' ? record.name : record.id, record.id, users[0]!);
    for (const user of users.slice(1)) d.users.add(user);
    d.record = record;
    if (kind === 'flavor') d.spec = flavorSpecOf(record.fields);
    recordMatches.set(`${record.kind}:${record.id}`, { kind, from: d.key });
  }

  const tables: MappingTables = {
    flavor: {}, network: {}, subnet_pool: {}, volume_type: {}, availability_zone: {}, image: {}, user: {}, group: {}, role: {},
  };
  const usedRules = new Set<string>();
  const explicitFor = (d: Demand): string | undefined => {
    const table = rules[d.kind];
    if (!table) return undefined;
    for (const candidate of [d.key, ...d.ids]) {
      if (candidate in table) {
        usedRules.add(`${d.kind}\u0000${candidate}`);
        return table[candidate];
      }
    }
    return undefined;
  };
  const fail = (d: Demand, code: string, message: string, hint: string) => {
    errors.push({ code, message: `${message} (needed by ${[...d.users].sort().join(', ')})`, mapping: { kind: d.kind as Exclude<MappingKind, 'project'>, from: d.key }, hint });
  };

  for (const d of [...demands.values()].sort((a, b) => compareText(a.kind, b.kind) || compareText(a.key, b.key))) {
    if (d.kind === 'project') continue;
    const explicit = explicitFor(d);
    const entry = resolveOne(d, explicit, facts, options, fail);
    if (entry) tables[d.kind][d.key] = entry;
  }

  for (const kind of Object.keys(rules) as MappingKind[]) {
    if (kind === 'project') continue;
    for (const from of Object.keys(rules[kind] ?? {})) {
      if (!usedRules.has(`${kind}\u0000${from}`)) {
        notes.push({ level: 'warning', code: 'unused-mapping', message: `mapping ${kind}:${from}=${rules[kind]![from]} is not used by this snapshot (no ${kind} named or with ID "${from}")` });
      }
    }
  }
  if (!facts.availabilityZones && [...demands.values()].some((d) => d.kind === 'availability_zone')) {
    notes.push({ level: 'warning', code: 'az-unchecked', message: 'the target availability zones are unknown: AZ names are kept as they are and were not checked' });
  }
  const explicit = new Set([...demands.values()].filter((d) => d.kind !== 'project' && tables[d.kind][d.key]?.by === 'explicit').map((d) => `${d.kind}\u0000${d.key}`));
  return { tables, externalRefs, recordMatches, errors, notes, explicit };
}

type Fail = (d: Demand, code: string, message: string, hint: string) => void;

function resolveOne(
  d: Demand,
  explicit: string | undefined,
  facts: TargetFacts,
  options: { reuseImagesByChecksum: boolean },
  fail: Fail,
): MappingEntry | undefined {
  switch (d.kind) {
    case 'flavor':
      return resolveFlavor(d, explicit, facts.flavors, fail);
    case 'network':
      return resolveNetwork(d, explicit, facts, fail);
    case 'availability_zone':
      return resolveZone(d, explicit, facts, fail);
    case 'image':
      return resolveImage(d, explicit, usableImages(facts.images, facts.project.id), options, fail);
    case 'subnet_pool':
      return resolveNamed(d, explicit, facts.subnetPools ?? [], 'subnet pool', fail, { allowDefault: false, createable: false });
    case 'volume_type':
      return resolveNamed(d, explicit, facts.volumeTypes, 'volume type', fail, {
        allowDefault: true,
        createable: d.record !== undefined && isPrivate(d.record, 'os-volume-type-access:is_public', 'is_public'),
      });
    case 'user':
      return resolveNamed(d, explicit, withExisting(facts.users, facts, 'user'), 'user', fail, { allowDefault: false, createable: d.record !== undefined });
    case 'group':
      return resolveNamed(d, explicit, withExisting(facts.groups ?? [], facts, 'group'), 'group', fail, { allowDefault: false, createable: d.record !== undefined });
    case 'role': {
      const roles = withExisting(facts.roles, facts, 'role');
      // every Keystone has roles: an empty list means the caller could not list them (a member)
      if (roles.length === 0 && explicit === undefined) {
        return { to: d.key, by: 'name', note: 'not checked: the target roles could not be listed (listing roles needs admin); the name is used as it is' };
      }
      return resolveNamed(d, explicit, roles, 'role', fail, { allowDefault: false, createable: false });
    }
    default:
      return undefined;
  }
}

function resolveFlavor(d: Demand, explicit: string | undefined, flavors: TargetFlavor[], fail: Fail): MappingEntry | undefined {
  const specNote = (target: TargetFlavor): string | undefined =>
    d.spec && !sameSpec(d.spec, target)
      ? `target flavor ${target.name} has ${describeSpec(target)}, the source ${d.key} had ${describeSpec(d.spec)}`
      : undefined;
  if (explicit !== undefined) {
    const target = findNamed(flavors, explicit);
    if (!target) {
      fail(d, 'mapping-target-missing', `flavor mapping ${d.key}=${explicit}: the target has no flavor "${explicit}"`, `target flavors: ${sortedNames(flavors)}`);
      return { to: null, by: 'unresolved' };
    }
    return withNote({ to: target.name, toId: target.id, by: 'explicit' }, specNote(target));
  }
  const byName = flavors.find((f) => f.name === d.key);
  if (byName) return withNote({ to: byName.name, toId: byName.id, by: 'name' }, specNote(byName));
  const matches = d.spec ? flavors.filter((f) => sameSpec(d.spec!, f)).sort((a, b) => compareText(a.name, b.name)) : [];
  if (matches.length > 0) {
    const chosen = matches[0]!;
    const others = matches.slice(1).map((f) => f.name);
    return withNote(
      { to: chosen.name, toId: chosen.id, by: 'spec' },
      `same spec (${describeSpec(d.spec)})${others.length > 0 ? `; also matching: ${others.join(', ')}` : ''}`,
    );
  }
  // a project-private flavor of the snapshot is created (admin); a public one is the cloud's, never created by a restore
  if (d.record && isPrivate(d.record, 'os-flavor-access:is_public')) return undefined;
  fail(
    d,
    'unmapped-flavor',
    `flavor ${d.key} (${describeSpec(d.spec)}) has no match in the target: no flavor of that name and none with the same vCPU/RAM/disk`,
    `add --map flavor:${d.key}=<target flavor>; target flavors: ${sortedNames(flavors)}`,
  );
  return { to: null, by: 'unresolved' };
}

function resolveNetwork(d: Demand, explicit: string | undefined, facts: TargetFacts, fail: Fail): MappingEntry | undefined {
  const candidates = d.external ? facts.networks.filter((n) => n.external) : facts.networks;
  const what = d.external ? 'external network' : 'network';
  const hint = `add --map network:${d.key}=<target network>; target ${what}s: ${sortedNames(candidates)}`;
  let target = explicit !== undefined ? findNamed(facts.networks, explicit) : undefined;
  let by: MappingEntry['by'] = 'explicit';
  if (explicit !== undefined && !target) {
    fail(d, 'mapping-target-missing', `network mapping ${d.key}=${explicit}: the target has no network "${explicit}" visible to the project`, hint);
    return { to: null, by: 'unresolved' };
  }
  if (!target) {
    const byId = [...d.ids].map((id) => facts.networks.find((n) => n.id === id)).find((n) => n !== undefined);
    target = byId ?? facts.networks.find((n) => n.name === d.key);
    by = byId ? 'id' : 'name';
  }
  if (!target) {
    fail(d, 'unmapped-network', `${what} ${d.key} does not exist in the target`, hint);
    return { to: null, by: 'unresolved' };
  }
  if (d.external && !target.external) {
    fail(d, 'mapping-not-external', `network ${target.name} in the target is not external, but ${d.key} is used as a router gateway or floating-IP pool`, hint);
    return { to: null, by: 'unresolved' };
  }
  return { to: target.name, toId: target.id, by };
}

function resolveZone(d: Demand, explicit: string | undefined, facts: TargetFacts, fail: Fail): MappingEntry | undefined {
  const wanted = explicit ?? d.key;
  if (explicit === '') return { to: '', by: 'explicit', note: 'no availability zone is requested: the target cloud chooses' };
  const zones = facts.availabilityZones;
  if (!zones) return { to: wanted, by: explicit !== undefined ? 'explicit' : 'name', note: 'not checked: target zones unknown' };
  const missing = [...(d.azServices ?? [])].filter((service) => !zones[service].includes(wanted));
  if (missing.length > 0) {
    const listed = missing.map((service) => `${service}: ${zones[service].length > 0 ? [...zones[service]].sort().join(', ') : '(none)'}`).join('; ');
    fail(
      d,
      explicit !== undefined ? 'mapping-target-missing' : 'unmapped-availability-zone',
      `availability zone ${wanted} does not exist in the target for ${missing.join(' and ')}`,
      `add --map availability_zone:${d.key}=<zone> (or "=" to let the target choose); target zones: ${listed}`,
    );
    return { to: null, by: 'unresolved' };
  }
  return { to: wanted, by: explicit !== undefined ? 'explicit' : 'name' };
}

/**
 * Images the target project may boot from or copy: public and community ones, its own, and
 * shared ones; an admin's listing also shows other projects' private images, which it may not use.
 */
function usableImages(images: TargetImage[], targetProjectId: string | undefined): TargetImage[] {
  return images.filter((img) => {
    if (img.visibility === 'public' || img.visibility === 'community') return true;
    if (img.owner === undefined) return true;
    // a project the restore creates owns nothing yet and is nobody's image member
    if (targetProjectId === undefined) return false;
    return img.owner === targetProjectId || img.visibility === 'shared';
  });
}

function imageChecksumMatch(record: ResourceRecord, images: TargetImage[]): TargetImage | undefined {
  const md5 = typeof record.fields.checksum === 'string' ? record.fields.checksum : record.data?.[0]?.cloudChecksum;
  const hashValue = typeof record.fields.os_hash_value === 'string' ? record.fields.os_hash_value : undefined;
  const active = images.filter((img) => img.status === undefined || img.status === 'active');
  const found = active.filter(
    (img) => (md5 !== undefined && img.checksum === md5) || (hashValue !== undefined && img.hashValue === hashValue),
  );
  // prefer an image with the same name, then the lowest ID, so the choice is stable
  return found.sort((a, b) => Number(b.name === record.name) - Number(a.name === record.name) || compareText(a.id, b.id))[0];
}

function resolveImage(
  d: Demand,
  explicit: string | undefined,
  images: TargetImage[],
  options: { reuseImagesByChecksum: boolean },
  fail: Fail,
): MappingEntry | undefined {
  if (explicit !== undefined) {
    const target = findNamed(images, explicit);
    if (!target) {
      fail(d, 'mapping-target-missing', `image mapping ${d.key}=${explicit}: the target has no image "${explicit}"`, `visible target images: ${sortedNames(images)}`);
      return { to: null, by: 'unresolved' };
    }
    return { to: target.name, toId: target.id, by: 'explicit' };
  }
  if (d.record) {
    if (!options.reuseImagesByChecksum) return undefined;
    const same = imageChecksumMatch(d.record, images);
    return same ? { to: same.name, toId: same.id, by: 'checksum', note: `target image ${same.id} has the same checksum: reused, not uploaded` } : undefined;
  }
  const byId = [...d.ids].map((id) => images.find((img) => img.id === id)).find((img) => img !== undefined);
  if (byId) return { to: byId.name, toId: byId.id, by: 'id' };
  const byName = images.filter((img) => img.name === d.key).sort((a, b) => compareText(a.id, b.id));
  if (byName.length > 0) {
    return withNote({ to: byName[0]!.name, toId: byName[0]!.id, by: 'name' }, byName.length > 1 ? `${byName.length} target images are named ${d.key}; the one with the lowest ID is used` : undefined);
  }
  if (d.soft) {
    return { to: null, by: 'unresolved', note: `image ${d.key} is not in the snapshot nor in the target; the servers and volumes made from it are restored from their own backed-up data` };
  }
  fail(d, 'unmapped-image', `image ${d.key} is not in the snapshot and not visible in the target`, `add --map image:${d.key}=<target image>; visible target images: ${sortedNames(images)}`);
  return { to: null, by: 'unresolved' };
}

function resolveNamed(
  d: Demand,
  explicit: string | undefined,
  list: NamedTarget[],
  what: string,
  fail: Fail,
  opts: { allowDefault: boolean; createable: boolean },
): MappingEntry | undefined {
  const hint = `add --map ${d.kind}:${d.key}=<target ${what}>; target ${what}s: ${sortedNames(list)}`;
  if (explicit !== undefined) {
    if (explicit === '' && opts.allowDefault) {
      const fallback = list.find((item) => item.isDefault);
      return { to: '', ...(fallback ? { toId: fallback.id } : {}), by: 'default', note: `the target's default ${what}${fallback ? ` (${fallback.name})` : ''} is used` };
    }
    const target = findNamed(list, explicit);
    if (!target) {
      fail(d, 'mapping-target-missing', `${what} mapping ${d.key}=${explicit}: the target has no ${what} "${explicit}"`, hint);
      return { to: null, by: 'unresolved' };
    }
    return { to: target.name, toId: target.id, by: 'explicit' };
  }
  const byId = [...d.ids].map((id) => list.find((item) => item.id === id)).find((item) => item !== undefined);
  if (byId) return { to: byId.name, toId: byId.id, by: 'id' };
  const byName = list.find((item) => item.name === d.key);
  if (byName) return { to: byName.name, toId: byName.id, by: 'name' };
  if (opts.createable) return undefined; // in the snapshot: the planner creates it
  fail(d, `unmapped-${d.kind}`, `${what} ${d.key} does not exist in the target`, hint);
  return { to: null, by: 'unresolved' };
}

/** Users, groups and roles the facts list, plus those the target project's inventory holds (a member sees itself there). */
function withExisting(list: NamedTarget[], facts: TargetFacts, kind: 'user' | 'group' | 'role'): NamedTarget[] {
  const extra = facts.existing.filter((e) => e.kind === kind && !list.some((item) => item.id === e.id)).map((e) => ({ id: e.id, name: e.name }));
  return extra.length === 0 ? list : [...list, ...extra];
}

/** A flavor or volume type the project had private access to (so the restore may recreate it). */
function isPrivate(record: ResourceRecord, ...flags: string[]): boolean {
  return flags.some((flag) => record.fields[flag] === false);
}

function withNote(entry: MappingEntry, note: string | undefined): MappingEntry {
  return note ? { ...entry, note } : entry;
}
