// The fidelity report of a restore (after `apply`, and again with `restore verify`): every
// resource the restore created, updated or reused is read back from the target (its inventory
// record, the same shape as the snapshot's) and compared field by field with the snapshot by the
// planner's comparator — IDs and mapped fields are "mapped", volatile fields ignored, the rest
// are differences. Data is compared by hash: sha256 of what the cloud serves now against the
// sha256 the backup recorded. Fields the restore could not keep (a floating IP address a member
// may not choose, a secret never backed up) are listed with the reason, not hidden.
import type { ServiceModule } from '../../services/module.js';
import { compareFidelity, type FidelityReport } from '../../restore-plans/fidelity.js';
import { getPath } from '../../restore-plans/field-paths.js';
import type { Plan } from '../../restore-plans/plan-schema.js';
import type { ResourceRecord } from '../model/resource.js';
import type { Session } from '../openstack/types.js';
import { hashServedData } from './data-hasher.js';
import { digestAlgOf } from '../../streams/stream-digest.js';
import { pairVersionStreams, targetVersions } from './object-versions.js';
import { comparableFields, ownerAsMapped, resolveProjectPlaceholders } from './fidelity-adjust.js';
import { recordKey } from './restore-context.js';
import type { RestoreState } from './state-file.js';

export interface ResourceFidelity extends FidelityReport {
  stepId: string;
  targetId?: string;
  /** missing: the restored resource is not (any more) in the target. */
  verdict: 'identical' | 'different' | 'missing';
}

export interface FidelityResult {
  resources: ResourceFidelity[];
  identical: number;
  different: number;
  missing: number;
  data: { checked: number; equal: number; different: number; notChecked: number };
  /** What the restore could not bring back as it was (per step), with the reason. */
  notRestorable: Array<{ stepId: string; reason: string }>;
  dataFailures: Array<{ kind: string; id: string; error: string }>;
}

export interface FidelityOptions {
  plan: Plan;
  state: RestoreState;
  /** Session scoped to the target project. */
  session: Session;
  projectId: string;
  records: ResourceRecord[];
  modules: ServiceModule[];
  /** Hash the data the cloud serves (slow for volumes); default true. */
  checkData?: boolean;
  signal: AbortSignal;
}

export async function fidelityReport(opts: FidelityOptions): Promise<FidelityResult> {
  const { plan, state } = opts;
  const recordsByKey = new Map(opts.records.map((r) => [recordKey(r.kind, r.id), r]));
  const target: ResourceRecord[] = [];
  for (const mod of opts.modules) {
    if (mod.serviceTypes.some((t) => !opts.session.hasService(t))) continue;
    const inv = await mod.inventory({ session: opts.session, projectId: opts.projectId });
    target.push(...inv.resources);
  }
  const targetByKey = new Map(target.map((r) => [recordKey(r.kind, r.id), r]));

  // which restored resources to compare: what this restore created or updated, and reused twins
  const compared: Array<{ stepId: string; snapshot: ResourceRecord; targetId?: string }> = [];
  for (const [stepId, step] of Object.entries(plan.steps)) {
    if (step.operation !== 'restore' || step.kind === 'project') continue;
    const st = state.steps[stepId];
    if (!st || st.status !== 'done') continue;
    if (!(st.created || step.action === 'update' || step.action === 'reuse' || st.targetId !== undefined && step.action === 'create')) continue;
    const snapshot = recordsByKey.get(recordKey(step.kind, step.sourceId));
    if (!snapshot) continue;
    compared.push({ stepId, snapshot, ...(st.targetId ? { targetId: st.targetId } : {}) });
  }

  let served = new Map<string, string>();
  // snapshots older than the block-tree digest recorded plain SHA-256 for every stream
  let servedPlain = new Map<string, string>();
  let dataFailures: FidelityResult['dataFailures'] = [];
  if (opts.checkData !== false) {
    // a volume snapshot the restore made from its volume's current data is not read back (its step says why)
    const withData = compared.filter((c) => (c.snapshot.data ?? []).length > 0 && c.targetId && !(c.snapshot.kind === 'volume_snapshot' && state.steps[c.stepId]?.changed?.data));
    const toRead: ResourceRecord[] = [];
    for (const c of withData) {
      const t = targetByKey.get(recordKey(c.snapshot.kind, c.targetId!));
      if (!t) continue;
      if (t.kind === 'server') {
        // a restored server's root disk is the image it booted from: read that image
        const imageId = (t.fields.image as { id?: string } | undefined)?.id;
        const image = imageId ? targetByKey.get(recordKey('image', imageId)) : undefined;
        if (image) toRead.push(image);
      } else {
        toRead.push(t);
      }
    }
    const result = await hashServedData(opts.session, opts.projectId, opts.modules, dedupe(toRead), opts.signal);
    served = result.hashes;
    servedPlain = result.plainHashes;
    dataFailures = result.failures;
  }

  // floating IPs that got another address (a member may not choose one): the servers show it too
  const newAddress = new Map<string, unknown>();
  for (const [stepId, st] of Object.entries(state.steps)) {
    const change = st.changed?.floating_ip_address;
    const step = plan.steps[stepId];
    const old = step ? recordsByKey.get(recordKey(step.kind, step.sourceId))?.fields.floating_ip_address : undefined;
    if (change && typeof old === 'string') newAddress.set(old, change.to);
  }

  const resources: ResourceFidelity[] = [];
  for (const { stepId, snapshot, targetId } of compared) {
    const step = plan.steps[stepId]!;
    const st = state.steps[stepId]!;
    const restored = targetId ? targetByKey.get(recordKey(snapshot.kind, targetId)) : undefined;
    if (!restored) {
      resources.push({ stepId, ...(targetId ? { targetId } : {}), kind: snapshot.kind, sourceId: snapshot.id, name: snapshot.name, identical: false, differences: [], mapped: [], added: [], ignored: 0, data: [], verdict: 'missing' });
      continue;
    }
    const mappedFields = resolveProjectPlaceholders({ ...step.mappedFields }, plan.target.project.name, opts.projectId);
    for (const [path, change] of Object.entries(st.changed ?? {})) mappedFields[path] = { from: getPath(snapshot.fields, path), to: change.to };
    if (snapshot.kind === 'server') {
      for (const [path, to] of floatingAddressChanges(snapshot.fields.addresses, newAddress)) mappedFields[path] ??= { from: getPath(snapshot.fields, path), to };
    }
    const link = symlinkInTarget(snapshot, restored, opts.projectId);
    if (link) mappedFields.symlink_path = link;
    const slo = (snapshot.fields.largeObject as { type?: string } | undefined)?.type === 'slo';
    const restoredData: Record<string, string> = {};
    let restoredFields = restored.fields;
    let versionStreams = new Map<string, string>();
    if (snapshot.kind === 'container' && Array.isArray(snapshot.fields.objectVersions)) {
      // the target's version history, read the same way the backup read the snapshot's
      const versions = await targetVersions(opts.session, restored.name).catch(() => []);
      restoredFields = { ...restored.fields, objectVersions: versions };
      versionStreams = pairVersionStreams(snapshot.fields.objectVersions, versions, restored.name);
    }
    for (const stream of snapshot.data ?? []) {
      // an SLO's stream is its manifest, which holds upload times: compared by its fields (slo_etag)
      if (slo) continue;
      const actual = versionStreams.get(stream.stream) ?? servedStreamName(snapshot, restored, stream.stream);
      const sha = actual ? (digestAlgOf(stream.sha256) === 'sha256' ? servedPlain : served).get(actual) : undefined;
      if (sha) restoredData[stream.stream] = sha;
    }
    const comparable = { ...snapshot, fields: comparableFields(snapshot.kind, snapshot.fields) };
    const report = ownerAsMapped(compareFidelity(comparable, comparableFields(restored.kind, restoredFields, slo), { idMap: state.idMap, mappedFields, restoredData }));
    resources.push({ ...report, stepId, targetId: restored.id, verdict: report.identical ? 'identical' : 'different' });
  }

  const notRestorable: FidelityResult['notRestorable'] = [];
  for (const [stepId, st] of Object.entries(state.steps)) {
    if (st.status === 'not-restorable' && st.error) notRestorable.push({ stepId, reason: st.error });
    for (const [path, change] of Object.entries(st.changed ?? {})) notRestorable.push({ stepId, reason: `${path}: ${change.why}` });
  }
  const data = { checked: 0, equal: 0, different: 0, notChecked: 0 };
  for (const r of resources) {
    for (const d of r.data) {
      if (d.verdict === 'not-checked') data.notChecked += 1;
      else {
        data.checked += 1;
        if (d.verdict === 'equal') data.equal += 1;
        else data.different += 1;
      }
    }
  }
  return {
    resources,
    identical: resources.filter((r) => r.verdict === 'identical').length,
    different: resources.filter((r) => r.verdict === 'different').length,
    missing: resources.filter((r) => r.verdict === 'missing').length,
    data,
    notRestorable,
    dataFailures,
  };
}

/** The stream name the export gives the restored resource's data (it carries the target's IDs). */
function servedStreamName(snapshot: ResourceRecord, restored: ResourceRecord, stream: string): string | undefined {
  switch (snapshot.kind) {
    case 'image':
      return `image/${restored.id}`;
    case 'volume':
      return `volume/${restored.id}`;
    case 'volume_snapshot':
      return `volume_snapshot/${restored.id}`;
    case 'server': {
      const imageId = (restored.fields.image as { id?: string } | undefined)?.id;
      return imageId ? `image/${imageId}` : undefined;
    }
    case 'object':
      return stream;
    default:
      return undefined;
  }
}

/** A symlink into the project's own account names the target project's account once restored. */
function symlinkInTarget(snapshot: ResourceRecord, restored: ResourceRecord, projectId: string): { from: unknown; to: unknown } | undefined {
  const from = snapshot.fields.symlink_path;
  if (snapshot.kind !== 'object' || typeof from !== 'string' || !snapshot.projectId || !from.includes(snapshot.projectId)) return undefined;
  return { from, to: from.replace(snapshot.projectId, projectId) };
}

function dedupe(records: ResourceRecord[]): ResourceRecord[] {
  return [...new Map(records.map((r) => [recordKey(r.kind, r.id), r])).values()];
}

/** `addresses.<network>.<i>.addr` of a server's floating addresses that the restore had to change. */
function floatingAddressChanges(addresses: unknown, newAddress: Map<string, unknown>): Array<[string, unknown]> {
  if (newAddress.size === 0 || addresses === null || typeof addresses !== 'object') return [];
  const out: Array<[string, unknown]> = [];
  for (const [network, entries] of Object.entries(addresses as Record<string, unknown>)) {
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry, i) => {
      const e = entry as Record<string, unknown> | null;
      if (e?.['OS-EXT-IPS:type'] === 'floating' && typeof e.addr === 'string' && newAddress.has(e.addr)) out.push([`addresses.${network}.${i}.addr`, newAddress.get(e.addr)]);
    });
  }
  return out;
}
