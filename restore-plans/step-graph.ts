// Turns the snapshot's records into restore steps with their dependencies. One resource is one
// step, except where a reference would make a cycle: router interfaces, floating-IP association,
// volume attachment and security-group rules embedded in their group become steps of their own,
// ordered after both of their ends. References to resources outside the snapshot (public flavors,
// external networks, volume types, public images) become `map` steps.
import { compareText } from './kind-stages.js';
import type { ResourceKind } from '../src/model/kinds.js';
import type { DataStreamRef, ResourceRecord, ResourceRef } from '../src/model/resource.js';
import { getPath } from './field-paths.js';
import { label, type MappingResolution } from './mapping-resolver.js';
import type { MappingKind } from './mapping-rules.js';
import type { OverwritePolicy, PlanStep, PreflightIssue, RestoreMode, StepAction } from './plan-schema.js';
import type { SnapshotManifestInput, TargetFacts } from './planner-input.js';
import { classifyReference } from './reference-roles.js';
import { naturalKey } from './resource-identity.js';
import { isAutoManagedPort, isRouterInterfacePort, restoreNotesFor } from './restore-notes.js';
import { decideAction, ExistingIndex } from './target-matching.js';

export interface StepGraphInput {
  manifest: SnapshotManifestInput;
  facts: TargetFacts;
  resolution: MappingResolution;
  mode: RestoreMode;
  overwrite: OverwritePolicy;
  targetProject: { name: string; id?: string; exists: boolean };
  sameCloud: boolean;
}

export interface Ownership {
  parent: string;
  /** Pulled in whenever the parent is (rules of a group, ports of a server); else only when the parent is selected. */
  essential: boolean;
}

export interface StepGraph {
  steps: Map<string, PlanStep>;
  /** child step → parents whose selection pulls it in */
  owners: Map<string, Ownership[]>;
  /** `kind:oldId` of a snapshot record → its steps (for --only) */
  stepsOfRecord: Map<string, string[]>;
  errors: PreflightIssue[];
}

/** Kinds whose creation needs the admin role (Keystone and flavor/volume-type administration). */
const ADMIN_CREATE: ReadonlySet<ResourceKind> = new Set(['project', 'user', 'group', 'role', 'flavor', 'volume_type']);
/** Kinds that do not live inside the project and so do not wait for it. */
const NOT_PROJECT_SCOPED: ReadonlySet<ResourceKind> = new Set(['project', 'user', 'group', 'role', 'flavor', 'volume_type']);
/** Fields that hold the owning project's ID; they change to the target project's. */
const PROJECT_FIELDS = ['project_id', 'tenant_id', 'os-vol-tenant-attr:tenant_id', 'owner'];
const EXISTING: ReadonlySet<StepAction> = new Set(['reuse', 'skip', 'update', 'map']);

export const stepIdOf = (kind: ResourceKind, id: string): string => `${kind}:${id}`;

export function buildStepGraph(input: StepGraphInput): StepGraph {
  const { manifest, facts, resolution } = input;
  const sourceProjectId = manifest.source.project.id;
  const records = [...manifest.resources];
  const byKey = new Map(records.map((r) => [stepIdOf(r.kind, r.id), r]));
  const steps = new Map<string, PlanStep>();
  const owners = new Map<string, Ownership[]>();
  const stepsOfRecord = new Map<string, string[]>();
  const errors: PreflightIssue[] = [];
  const existing = new ExistingIndex(facts.existing);
  const keyCounts = new Map<string, number>();
  for (const r of records) {
    const key = naturalKey(r);
    if (key !== undefined) keyCounts.set(`${r.kind}:${key}`, (keyCounts.get(`${r.kind}:${key}`) ?? 0) + 1);
  }
  const restoredNetworks = new Set(records.filter((r) => r.kind === 'network' && r.status === 'ok').map((r) => r.id));
  const keepsAddresses = input.sameCloud && input.targetProject.id === sourceProjectId;
  // a project created by this restore has no ID yet: null = "assigned by the target"
  const targetProjectValue = input.targetProject.id ?? null;

  const own = (child: string, parent: string, essential: boolean) => {
    const list = owners.get(child) ?? [];
    if (!list.some((o) => o.parent === parent)) list.push({ parent, essential });
    owners.set(child, list);
  };
  const addStep = (step: PlanStep, recordKey?: string) => {
    steps.set(step.id, step);
    if (recordKey) {
      const list = stepsOfRecord.get(recordKey);
      if (list) list.push(step.id);
      else stepsOfRecord.set(recordKey, [step.id]);
    }
  };
  const depend = (step: PlanStep, on: string) => {
    if (on !== step.id && !step.dependsOn.includes(on)) step.dependsOn.push(on);
  };
  const newStep = (partial: Pick<PlanStep, 'id' | 'kind' | 'operation' | 'action' | 'sourceId' | 'name'> & Partial<PlanStep>): PlanStep => ({
    mappedFields: {},
    data: { bytes: 0, streams: [] },
    dependsOn: [],
    notes: [],
    ...partial,
  });

  // ---------------------------------------------------------------- the project itself
  const projectRecord = byKey.get(stepIdOf('project', sourceProjectId));
  const projectStepId = stepIdOf('project', sourceProjectId);
  {
    const target = input.targetProject;
    const renamed = target.name !== manifest.source.project.name;
    const action: StepAction = target.exists ? (input.mode === 'in-place' ? 'skip' : 'reuse') : 'create';
    const step = newStep({
      id: projectStepId,
      kind: 'project',
      operation: 'restore',
      action,
      sourceId: sourceProjectId,
      name: manifest.source.project.name,
      targetName: target.name,
      ...(target.id ? { targetId: target.id } : {}),
      ...(target.exists ? { reason: `project ${target.name} exists in the target` } : {}),
    });
    if (renamed) step.mappedFields.name = { from: manifest.source.project.name, to: target.name };
    if (action === 'create' && !facts.isAdmin) {
      errors.push({ code: 'needs-admin', stepId: step.id, message: `project ${target.name} does not exist in the target and creating a project needs the admin role`, hint: 'ask an admin to create it, restore as admin, or choose an existing project with --project' });
    }
    if (projectRecord && projectRecord.status !== 'ok') step.notes.push(...restoreNotesFor(projectRecord, noteContext()));
    addStep(step, projectRecord ? stepIdOf('project', projectRecord.id) : undefined);
  }

  function noteContext() {
    return { sameCloud: input.sameCloud, keepsAddresses, networkIsRestored: (id: string) => restoredNetworks.has(id) };
  }

  // ---------------------------------------------------------------- map steps for outside references
  const ensureMapStep = (kind: ResourceKind, refId: string, mapping: { kind: MappingKind; from: string }): PlanStep => {
    const id = stepIdOf(kind, refId);
    const found = steps.get(id);
    if (found) return found;
    const entry = mapping.kind === 'project' ? undefined : resolution.tables[mapping.kind][mapping.from];
    const step = newStep({
      id,
      kind,
      operation: 'restore',
      action: 'map',
      sourceId: refId,
      name: mapping.from,
      mapping: mapping as PlanStep['mapping'],
      ...(entry?.to !== null && entry?.to !== undefined ? { targetName: entry.to } : {}),
      ...(entry?.toId ? { targetId: entry.toId } : {}),
      ...(entry?.note ? { notes: [{ level: 'info' as const, code: `mapped-by-${entry.by}`, message: entry.note }] } : {}),
    });
    addStep(step);
    return step;
  };
  const mappedTo = (mapping: { kind: MappingKind; from: string } | undefined) =>
    mapping && mapping.kind !== 'project' ? resolution.tables[mapping.kind][mapping.from] : undefined;

  // ---------------------------------------------------------------- one step per snapshot record
  for (const record of records) {
    if (record.kind === 'project') continue;
    const recordKey = stepIdOf(record.kind, record.id);
    const base = { id: recordKey, kind: record.kind, sourceId: record.id, name: record.name, targetName: record.name } as const;
    const notes = restoreNotesFor(record, noteContext());
    if (record.status !== 'ok') {
      addStep(newStep({ ...base, operation: 'restore', action: 'skip', reason: `not in the snapshot: ${record.status}${record.reason ? ` (${record.reason})` : ''}`, notes }), recordKey);
      continue;
    }
    if (record.kind === 'port' && isAutoManagedPort(record)) {
      addStep(newStep({ ...base, operation: 'restore', action: 'skip', reason: `created by Neutron itself (device_owner ${String(record.fields.device_owner)})`, notes: [] }), recordKey);
      continue;
    }
    const operation = record.kind === 'port' && isRouterInterfacePort(record) ? 'router-interface' : 'restore';
    let matched = resolution.recordMatches.get(recordKey);
    const twin = existing.find(record, (kind, key) => keyCounts.get(`${kind}:${key}`) ?? 0);
    if (record.kind === 'image' && matched && twin && !('ambiguous' in twin) && twin.by !== 'name' && !resolution.explicit.has(`${matched.kind}\u0000${matched.from}`)) {
      // the project's image itself is still (or again) in the target: not a mapping to another image
      // (flavors, volume types, users and roles live outside the project: those stay mappings)
      delete resolution.tables[matched.kind as Exclude<MappingKind, 'project'>][matched.from];
      matched = undefined;
    }
    const entry = mappedTo(matched);
    let step: PlanStep;
    if (matched && entry && entry.to !== null) {
      step = newStep({
        ...base,
        operation,
        action: 'map',
        mapping: matched as PlanStep['mapping'],
        targetName: entry.to,
        ...(entry.toId ? { targetId: entry.toId } : {}),
        // what-cannot-be-recreated notes do not apply: the target's own resource is used
        notes: entry.note ? [{ level: 'info' as const, code: `mapped-by-${entry.by}`, message: entry.note }] : [],
      });
    } else {
      const decision = decideAction(record, twin, input.mode, input.overwrite);
      if (record.kind === 'security_group' && record.name === 'default' && decision.action === 'create') {
        decision.action = 'reuse';
        decision.reason = "the target project's own default group (Neutron creates it with the project's first network use)";
      }
      step = newStep({
        ...base,
        operation,
        action: decision.action,
        ...(decision.targetId ? { targetId: decision.targetId } : {}),
        ...(decision.update ? { update: decision.update } : {}),
        ...(decision.reason ? { reason: decision.reason } : {}),
        // notes about recreating apply only where something is created or overwritten
        notes: [...decision.notes, ...(decision.action === 'create' || decision.action === 'update' ? notes : [])],
      });
      if (ADMIN_CREATE.has(record.kind) && step.action === 'create' && !facts.isAdmin) {
        errors.push({ code: 'needs-admin', stepId: step.id, message: `${label(record)} does not exist in the target and creating a ${record.kind} needs the admin role`, hint: `restore as admin, or map it to an existing one with --map ${record.kind}:${record.name}=<target ${record.kind}>` });
      }
    }
    const transfers = step.action === 'create' || (step.action === 'update' && step.update !== 'update-fields');
    const streams: DataStreamRef[] = record.data ?? [];
    step.data = { bytes: transfers ? streams.reduce((sum, s) => sum + s.size, 0) : 0, streams: streams.map((s) => ({ ...s })) };
    addStep(step, recordKey);
  }

  // ---------------------------------------------------------------- dependencies
  const attachments = new Map<string, { server: string; volume: string; device?: string }>();
  const associations: { fip: ResourceRecord; portId: string }[] = [];
  const routerSubnets: { router: ResourceRecord; subnetId: string }[] = [];
  const embeddedRuleGroups = new Set<string>();

  const stepOfRef = (record: ResourceRecord, step: PlanStep, ref: ResourceRef): string | undefined => {
    const key = stepIdOf(ref.kind, ref.id);
    const target = byKey.get(key);
    if (ref.kind === 'project') return ref.id === sourceProjectId ? projectStepId : undefined;
    if (target) {
      const targetStep = steps.get(key)!;
      if (target.status !== 'ok') {
        errors.push({ code: 'dependency-unavailable', stepId: step.id, message: `${label(record)} needs ${label(target)} (${ref.field}), which the snapshot marks ${target.status}${target.reason ? `: ${target.reason}` : ''}`, hint: 'leave this resource out (--only the others) or set its action to "skip" in the plan file' });
      } else if (record.kind === 'server' && ref.kind === 'port' && targetStep.action === 'skip' && targetStep.targetId === undefined) {
        errors.push({ code: 'dependency-unavailable', stepId: step.id, message: `${label(record)} needs ${label(target)}, which is not restored`, hint: 'edit the plan' });
      }
      return key;
    }
    const mapping = resolution.externalRefs.get(key);
    if (mapping) {
      const entry = mappedTo(mapping);
      if (entry?.to === null && entry.by === 'unresolved' && entry.note) {
        step.notes.push({ level: 'warning', code: 'unresolved-soft', message: entry.note });
        return undefined;
      }
      const mapStep = ensureMapStep(ref.kind, ref.id, mapping);
      if (entry && entry.to !== null) {
        const from = getPath(record.fields, ref.field);
        // a field holding a name gets the target's name, a field holding the ID the target's ID
        const to = typeof from === 'string' && from !== ref.id ? entry.to : (entry.toId ?? entry.to);
        if (from !== undefined && from !== to) step.mappedFields[ref.field] = { from, to };
      }
      return mapStep.id;
    }
    if (ref.kind === 'keypair' && record.kind === 'server') return keypairOfAnotherUser(record, step, ref);
    errors.push({ code: 'unresolvable-reference', stepId: step.id, message: `${label(record)} refers to ${ref.kind} ${ref.name ?? ref.id} (${ref.field}), which is neither in the snapshot nor something a restore can map`, hint: 'back up the project that owns it too, or edit the plan to skip this resource' });
    return undefined;
  };

  /**
   * A server launched by another user names that user's keypair (`<user id>/<name>`), which the
   * backing-up user could not read. Keypairs belong to the user who restores: the snapshot's
   * keypair of the same name is used when there is one, else the server is booted without one.
   */
  const keypairOfAnotherUser = (record: ResourceRecord, step: PlanStep, ref: ResourceRef): string | undefined => {
    const name = ref.name ?? ref.id.slice(ref.id.lastIndexOf('/') + 1);
    const own = records.find((r) => r.kind === 'keypair' && r.status === 'ok' && r.name === name);
    if (own) {
      step.notes.push({ level: 'warning', code: 'keypair-of-another-user', message: `the server was launched by another user with that user's keypair ${name}: it is restored with the keypair ${name} of the restoring user (from the snapshot)` });
      return stepIdOf('keypair', own.id);
    }
    step.notes.push({ level: 'warning', code: 'keypair-of-another-user', message: `the server was launched by another user with that user's keypair ${name}, which is not in the backup: it is restored without a keypair` });
    step.mappedFields[ref.field] = { from: getPath(record.fields, ref.field), to: null };
    return undefined;
  };

  for (const record of records) {
    if (record.kind === 'project' || record.status !== 'ok') continue;
    const step = steps.get(stepIdOf(record.kind, record.id))!;
    if (step.action === 'skip' && step.reason?.startsWith('created by Neutron')) continue;
    if (record.projectId !== undefined && !NOT_PROJECT_SCOPED.has(record.kind)) depend(step, projectStepId);
    for (const ref of [...record.refs, ...impliedRefs(record, byKey)]) {
      const role = classifyReference(record, ref, sourceProjectId);
      switch (role) {
        case 'dependency': {
          const on = stepOfRef(record, step, ref);
          if (on) depend(step, on);
          break;
        }
        case 'attachment':
          if (record.kind === 'port' && ref.kind === 'server') {
            const server = steps.get(stepIdOf('server', ref.id));
            if (server && byKey.get(server.id)?.status === 'ok') {
              depend(server, step.id);
              own(step.id, server.id, true);
              const ports = (server.params?.ports as string[] | undefined) ?? [];
              server.params = { ...(server.params ?? {}), ports: [...ports, record.id].sort() };
            }
          } else if (record.kind === 'port' && ref.kind === 'router') {
            const router = stepOfRef(record, step, ref);
            if (router) {
              depend(step, router);
              own(step.id, router, false);
              step.params = { ...(step.params ?? {}), router: ref.id, port: record.id, subnets: subnetIdsOf(record) };
            }
          } else if (record.kind === 'volume' && ref.kind === 'server') {
            const device = attachmentDevice(record, ref.id);
            attachments.set(`${ref.id}|${record.id}`, { server: ref.id, volume: record.id, ...(device ? { device } : {}) });
          } else if (record.kind === 'server' && ref.kind === 'volume') {
            // `volume_attachments.0.volumeId` → the device is its sibling `volume_attachments.0.device`
            const device = getPath(record.fields, ref.field.replace(/[^.]+$/, 'device'));
            const key = `${record.id}|${ref.id}`;
            const known = attachments.get(key);
            attachments.set(key, { server: record.id, volume: ref.id, ...(known?.device ? { device: known.device } : typeof device === 'string' ? { device } : {}) });
          }
          break;
        case 'association':
          associations.push({ fip: record, portId: ref.id });
          break;
        case 'interface':
          routerSubnets.push({ router: record, subnetId: ref.id });
          break;
        case 'rule-remote':
          embeddedRuleGroups.add(record.id);
          break;
        case 'informational':
          break;
      }
    }
    addPlainFieldMappings(record, step);
  }

  /**
   * A server embeds its flavor's spec (`flavor.vcpus`, `flavor.ram`…): a server restored with a
   * mapped flavor of another spec reports the target flavor's values — mapped, each with the
   * value it must have (a server that got yet another flavor is still a difference).
   */
  function addFlavorSpecMappings(record: ResourceRecord, step: PlanStep, targetId: string | undefined, otherFlavor: boolean) {
    const embedded = record.fields.flavor;
    if (embedded === null || typeof embedded !== 'object') return;
    const target = targetId ? facts.flavors.find((f) => f.id === targetId) : undefined;
    const e = embedded as Record<string, unknown>;
    if (target) {
      const pairs: Array<[string, unknown, number | undefined]> = [
        ['vcpus', e.vcpus, target.vcpus],
        ['ram', e.ram, target.ram],
        ['disk', e.disk, target.disk],
        ['ephemeral', e.ephemeral, target.ephemeral],
        ['swap', e.swap, target.swap],
      ];
      for (const [key, from, to] of pairs) {
        if (from === undefined || to === undefined) continue;
        if (Number(from === '' ? 0 : from) !== to) step.mappedFields[`flavor.${key}`] = { from, to };
      }
    }
    // extra specs are the target flavor's own (another flavor, or a flavor of another cloud)
    if ((otherFlavor || !input.sameCloud) && e.extra_specs !== undefined) step.mappedFields['flavor.extra_specs'] = { from: e.extra_specs, to: null };
  }

  function addPlainFieldMappings(record: ResourceRecord, step: PlanStep) {
    // flavor and volume type named without a reference (embedded flavor, volume_type name)
    if (record.kind === 'server' && !record.refs.some((ref) => ref.kind === 'flavor')) {
      const name = getPath(record.fields, 'flavor.original_name');
      const mapping = typeof name === 'string' ? resolution.externalRefs.get(stepIdOf('flavor', name)) : undefined;
      if (mapping) depend(step, ensureMapStep('flavor', name as string, mapping).id);
    }
    if (record.kind === 'server') {
      const name = getPath(record.fields, 'flavor.original_name');
      const entry = typeof name === 'string' ? resolution.tables.flavor[name] : undefined;
      if (entry && entry.to !== null && entry.to !== name) step.mappedFields['flavor.original_name'] = { from: name, to: entry.to };
      if (entry && entry.to !== null) addFlavorSpecMappings(record, step, entry.toId, entry.to !== name);
      const az = record.fields['OS-EXT-AZ:availability_zone'];
      const azEntry = typeof az === 'string' ? resolution.tables.availability_zone[az] : undefined;
      if (azEntry && azEntry.to !== null && azEntry.to !== az) step.mappedFields['OS-EXT-AZ:availability_zone'] = { from: az, to: azEntry.to };
    }
    if (record.kind === 'volume') {
      const type = record.fields.volume_type;
      if (typeof type === 'string' && type !== '') {
        const typeEntry = resolution.tables.volume_type[type];
        const typeRef = record.refs.find((ref) => ref.kind === 'volume_type');
        if (typeEntry && !typeRef) depend(step, ensureMapStep('volume_type', type, { kind: 'volume_type', from: type }).id);
        if (typeEntry && typeEntry.to !== null && typeEntry.to !== type) step.mappedFields.volume_type = { from: type, to: typeEntry.to };
      }
      const az = record.fields.availability_zone;
      const azEntry = typeof az === 'string' ? resolution.tables.availability_zone[az] : undefined;
      if (azEntry && azEntry.to !== null && azEntry.to !== az) step.mappedFields.availability_zone = { from: az, to: azEntry.to };
    }
    for (const field of PROJECT_FIELDS) {
      const value = record.fields[field];
      if (value === sourceProjectId && value !== targetProjectValue) step.mappedFields[field] = { from: value, to: targetProjectValue };
    }
    // an assignment names its project by name too: the target project's
    const scopeName = getPath(record.fields, 'scope.project.name');
    if (record.kind === 'role_assignment' && scopeName === manifest.source.project.name && scopeName !== input.targetProject.name) {
      step.mappedFields['scope.project.name'] = { from: scopeName, to: input.targetProject.name };
    }
    // values the target assigns (`to: null`): said in the notes, shown as mapped by the fidelity report
    if (record.kind === 'floating_ip' && !keepsAddresses && typeof record.fields.floating_ip_address === 'string') {
      step.mappedFields.floating_ip_address = { from: record.fields.floating_ip_address, to: null };
      step.params = { ...(step.params ?? {}), keepAddress: false };
    } else if (record.kind === 'floating_ip') {
      step.params = { ...(step.params ?? {}), keepAddress: true };
    }
    if (record.kind === 'port' && !restoredNetworks.has(String(record.fields.network_id ?? ''))) {
      step.mappedFields.mac_address = { from: record.fields.mac_address, to: null };
      step.mappedFields.fixed_ips = { from: record.fields.fixed_ips, to: null };
    }
    if (record.kind === 'router' && getPath(record.fields, 'external_gateway_info.external_fixed_ips') !== undefined) {
      step.mappedFields['external_gateway_info.external_fixed_ips'] = { from: getPath(record.fields, 'external_gateway_info.external_fixed_ips'), to: null };
    }
    if (record.kind === 'server' && !keepsAddresses) {
      for (const path of floatingAddressPaths(record.fields.addresses)) step.mappedFields[path] = { from: getPath(record.fields, path), to: null };
    }
  }

  // ---------------------------------------------------------------- cycle-breaking extra steps
  const existingTarget = (stepId: string | undefined) => {
    const s = stepId ? steps.get(stepId) : undefined;
    return s && EXISTING.has(s.action) && s.targetId ? s.targetId : undefined;
  };
  const linkAction = (confirmed: boolean): Pick<PlanStep, 'action'> & { reason?: string } =>
    confirmed ? { action: input.mode === 'in-place' ? 'skip' : 'reuse', reason: 'already connected in the target' } : { action: 'create' };

  for (const { server, volume, device } of [...attachments.values()].sort((a, b) => compareText(`${a.server}|${a.volume}`, `${b.server}|${b.volume}`))) {
    const serverStep = steps.get(stepIdOf('server', server));
    const volumeRecord = byKey.get(stepIdOf('volume', volume));
    const serverRecord = byKey.get(stepIdOf('server', server));
    if (!serverStep || !serverRecord || serverRecord.status !== 'ok') continue; // a volume of a server outside the snapshot: restored unattached
    if (!volumeRecord || volumeRecord.status !== 'ok') {
      errors.push({ code: 'dependency-unavailable', stepId: serverStep.id, message: `${label(serverRecord)} has volume ${volumeRecord ? label(volumeRecord) : volume} attached, which is ${volumeRecord ? `marked ${volumeRecord.status} in the snapshot` : 'not in the snapshot'}`, hint: 'set the server step to "skip" in the plan file, or restore the server without that volume by editing the plan' });
      continue;
    }
    const volumeStepId = stepIdOf('volume', volume);
    if (isRootVolume(serverRecord, volumeRecord, device)) {
      depend(serverStep, volumeStepId);
      serverStep.params = { ...(serverStep.params ?? {}), rootVolume: volume };
      own(volumeStepId, serverStep.id, true);
      continue;
    }
    const serverTarget = existingTarget(serverStep.id);
    const volumeTarget = existingTarget(volumeStepId);
    const existingVolume = volumeTarget ? existing.get('volume', volumeTarget) : undefined;
    const confirmed = serverTarget !== undefined && volumeTarget !== undefined && attachedTo(existingVolume?.fields, serverTarget);
    const attach = newStep({
      id: `${serverStep.id}/attach:${volume}`,
      kind: 'server',
      operation: 'volume-attach',
      sourceId: server,
      name: `${serverRecord.name} ← ${volumeRecord.name || volume}`,
      ...linkAction(confirmed),
      params: { server, volume, ...(device ? { device } : {}) },
      dependsOn: [serverStep.id, volumeStepId],
    });
    addStep(attach, stepIdOf('server', server));
    own(attach.id, serverStep.id, true);
  }

  for (const { fip, portId } of associations.sort((a, b) => compareText(a.fip.id, b.fip.id))) {
    const fipStep = steps.get(stepIdOf('floating_ip', fip.id))!;
    const portRecord = byKey.get(stepIdOf('port', portId));
    if (!portRecord || portRecord.status !== 'ok') {
      fipStep.notes.push({ level: 'warning', code: 'association-not-restored', message: `the floating IP was associated with port ${portId}, which is ${portRecord ? `marked ${portRecord.status}` : 'not in the snapshot'}: it is restored unassociated` });
      continue;
    }
    const portStepId = stepIdOf('port', portId);
    const fipTarget = existingTarget(fipStep.id);
    const portTarget = existingTarget(portStepId);
    const confirmed = fipTarget !== undefined && portTarget !== undefined && existing.get('floating_ip', fipTarget)?.fields?.port_id === portTarget;
    const associate = newStep({
      id: `${fipStep.id}/associate`,
      kind: 'floating_ip',
      operation: 'floating-ip-associate',
      sourceId: fip.id,
      name: `${String(fip.fields.floating_ip_address ?? fip.name ?? fip.id)} → port ${portRecord.name || portId}`,
      ...linkAction(confirmed),
      params: { floatingIp: fip.id, port: portId, ...(typeof fip.fields.fixed_ip_address === 'string' ? { fixedIp: fip.fields.fixed_ip_address } : {}) },
      dependsOn: [fipStep.id, portStepId],
    });
    addStep(associate, stepIdOf('floating_ip', fip.id));
    own(fipStep.id, portStepId, true);
    own(associate.id, portStepId, true);
    own(associate.id, fipStep.id, true);
  }

  // router interfaces named by the router (when the interface ports themselves are not in the snapshot)
  const portInterfaces = new Set<string>();
  for (const step of steps.values()) {
    if (step.operation === 'router-interface' && step.params) {
      for (const subnet of (step.params.subnets as string[] | undefined) ?? []) portInterfaces.add(`${String(step.params.router)}|${subnet}`);
    }
  }
  for (const { router, subnetId } of routerSubnets) {
    if (portInterfaces.has(`${router.id}|${subnetId}`)) continue;
    const subnetRecord = byKey.get(stepIdOf('subnet', subnetId));
    if (!subnetRecord || subnetRecord.status !== 'ok') continue;
    const routerStepId = stepIdOf('router', router.id);
    const id = `${routerStepId}/interface:${subnetId}`;
    if (steps.has(id)) continue;
    const routerTarget = existingTarget(routerStepId);
    const subnetTarget = existingTarget(stepIdOf('subnet', subnetId));
    const confirmed = routerTarget !== undefined && subnetTarget !== undefined && existing.all('port').some((p) => p.fields?.device_id === routerTarget && JSON.stringify(p.fields?.fixed_ips ?? []).includes(subnetTarget));
    const step = newStep({
      id,
      kind: 'router',
      operation: 'router-interface',
      sourceId: router.id,
      name: `${router.name} ↔ ${subnetRecord.name || subnetId}`,
      ...linkAction(confirmed),
      params: { router: router.id, subnets: [subnetId] },
      dependsOn: [routerStepId, stepIdOf('subnet', subnetId)],
    });
    addStep(step, routerStepId);
    own(id, routerStepId, false);
    portInterfaces.add(`${router.id}|${subnetId}`);
  }

  // a floating IP can only be associated once its port's subnet is behind a router with a gateway
  for (const step of steps.values()) {
    if (step.operation !== 'floating-ip-associate') continue;
    const portRecord = byKey.get(stepIdOf('port', String(step.params?.port)));
    const subnets = new Set(portRecord ? subnetIdsOf(portRecord) : []);
    for (const other of steps.values()) {
      if (other.operation !== 'router-interface') continue;
      const otherSubnets = (other.params?.subnets as string[] | undefined) ?? [];
      if (otherSubnets.some((s) => subnets.has(s))) {
        depend(step, other.id);
        own(other.id, step.id, true);
      }
    }
  }

  // rules embedded in their groups (no separate rule records): one step after all groups they name
  const groupsWithRuleRecords = new Set(
    records.filter((r) => r.kind === 'security_group_rule').flatMap((r) => r.refs.filter((ref) => ref.kind === 'security_group' && ref.field === 'security_group_id').map((ref) => ref.id)),
  );
  for (const group of records.filter((r) => r.kind === 'security_group' && r.status === 'ok')) {
    const embedded = Array.isArray(group.fields.security_group_rules) ? group.fields.security_group_rules : [];
    if (groupsWithRuleRecords.has(group.id) || (embedded.length === 0 && !embeddedRuleGroups.has(group.id))) continue;
    const groupStep = steps.get(stepIdOf('security_group', group.id))!;
    const rulesStep = newStep({
      id: `${groupStep.id}/rules`,
      kind: 'security_group',
      operation: 'security-group-rules',
      sourceId: group.id,
      name: `rules of ${group.name}`,
      ...linkAction(existingTarget(groupStep.id) !== undefined && groupStep.action !== 'update'),
      params: { rules: embedded },
      dependsOn: [groupStep.id],
    });
    for (const ref of group.refs) {
      if (ref.kind === 'security_group' && ref.id !== group.id) {
        const on = stepOfRef(group, rulesStep, ref);
        if (on) depend(rulesStep, on);
      }
    }
    addStep(rulesStep, stepIdOf('security_group', group.id));
    own(rulesStep.id, groupStep.id, true);
  }

  // children pulled along by a selective restore
  for (const record of records) {
    const id = stepIdOf(record.kind, record.id);
    for (const ref of record.refs) {
      const parent = stepIdOf(ref.kind, ref.id);
      if (!steps.has(parent)) continue;
      if (record.kind === 'security_group_rule' && ref.kind === 'security_group' && ref.field === 'security_group_id') own(id, parent, true);
      if (record.kind === 'subnet' && ref.kind === 'network') own(id, parent, false);
      if (record.kind === 'object' && ref.kind === 'container') own(id, parent, false);
      if (record.kind === 'volume_snapshot' && ref.kind === 'volume') own(id, parent, false);
      if (record.kind === 'server' && ref.kind === 'port') {
        // the server names its interfaces: those ports are the server's
        own(parent, id, true);
        const server = steps.get(id);
        if (server && record.status === 'ok') {
          const ports = (server.params?.ports as string[] | undefined) ?? [];
          if (!ports.includes(ref.id)) server.params = { ...(server.params ?? {}), ports: [...ports, ref.id].sort() };
        }
      }
    }
  }
  return { steps, owners, stepsOfRecord, errors };
}

/**
 * References a port carries only in device_id/device_owner: the server using it, or the router
 * whose interface it is. Inventories may not list them as references; the restore needs them.
 */
function impliedRefs(record: ResourceRecord, byKey: ReadonlyMap<string, ResourceRecord>): ResourceRef[] {
  if (record.kind !== 'port') return [];
  const deviceId = typeof record.fields.device_id === 'string' ? record.fields.device_id : '';
  if (deviceId === '') return [];
  const owner = String(record.fields.device_owner ?? '');
  const kind: ResourceKind | undefined = isRouterInterfacePort(record) ? 'router' : owner.startsWith('compute:') ? 'server' : undefined;
  if (!kind || !byKey.has(stepIdOf(kind, deviceId))) return [];
  if (record.refs.some((ref) => ref.kind === kind && ref.id === deviceId)) return [];
  return [{ kind, id: deviceId, field: 'device_id' }];
}

/** `addresses.<network>.<i>.addr` of the floating entries in a server's address list. */
function floatingAddressPaths(addresses: unknown): string[] {
  if (addresses === null || typeof addresses !== 'object') return [];
  const paths: string[] = [];
  for (const [network, entries] of Object.entries(addresses as Record<string, unknown>)) {
    if (!Array.isArray(entries) || network.includes('.')) continue;
    entries.forEach((entry, i) => {
      if ((entry as Record<string, unknown>)?.['OS-EXT-IPS:type'] === 'floating') paths.push(`addresses.${network}.${i}.addr`);
    });
  }
  return paths;
}

function subnetIdsOf(port: ResourceRecord): string[] {
  const fromRefs = port.refs.filter((ref) => ref.kind === 'subnet').map((ref) => ref.id);
  if (fromRefs.length > 0) return [...new Set(fromRefs)];
  const fixed = Array.isArray(port.fields.fixed_ips) ? (port.fields.fixed_ips as { subnet_id?: unknown }[]) : [];
  return [...new Set(fixed.map((f) => f.subnet_id).filter((s): s is string => typeof s === 'string'))];
}

function attachmentDevice(volume: ResourceRecord, serverId: string): string | undefined {
  const list = Array.isArray(volume.fields.attachments) ? (volume.fields.attachments as Record<string, unknown>[]) : [];
  const found = list.find((a) => a.server_id === serverId);
  return typeof found?.device === 'string' ? found.device : undefined;
}

function attachedTo(volumeFields: Record<string, unknown> | undefined, serverId: string): boolean {
  const list = Array.isArray(volumeFields?.attachments) ? (volumeFields.attachments as Record<string, unknown>[]) : [];
  return list.some((a) => a.server_id === serverId);
}

/** A volume-backed server boots from the volume at its root device: that volume must exist first. */
function isRootVolume(server: ResourceRecord, volume: ResourceRecord, device: string | undefined): boolean {
  const image = server.fields.image;
  const imageBacked = (typeof image === 'string' && image !== '') || (image !== null && typeof image === 'object' && 'id' in image);
  if (imageBacked) return false;
  const rootDevice = String(server.fields['OS-EXT-SRV-ATTR:root_device_name'] ?? '/dev/vda');
  return (device ?? attachmentDevice(volume, server.id)) === rootDevice;
}

