// The preflight: every mapping that cannot be satisfied, every resource the restore would need
// but cannot have, found before anything is created. The CLI stops with exit code 12
// (ExitCode.preflight) when the list is not empty. With fresh target facts it re-checks a saved
// (possibly edited) plan just before apply.
import { ExitCode, PermafrostError } from '../src/errors.js';
import type { MappingKind } from './mapping-rules.js';
import type { Plan, PreflightIssue } from './plan-schema.js';
import type { NamedTarget, TargetFacts } from './planner-input.js';

export interface PreflightResult {
  ok: boolean;
  errors: PreflightIssue[];
}

export class PreflightFailedError extends PermafrostError {
  constructor(readonly errors: PreflightIssue[]) {
    super(
      `restore preflight failed, nothing was changed (${errors.length} problem${errors.length === 1 ? '' : 's'}):\n` +
        errors.map((e) => `  - ${e.message}${e.hint ? `\n    → ${e.hint}` : ''}`).join('\n'),
      ExitCode.preflight,
    );
    this.name = 'PreflightFailedError';
  }
}

/** Problems recorded at planning time plus the ones visible in the plan itself (after edits). */
export function preflight(plan: Plan, facts?: TargetFacts): PreflightResult {
  const errors: PreflightIssue[] = [...plan.preflight.errors];
  const seen = new Set(errors.map((e) => `${e.code}|${e.stepId ?? ''}|${e.mapping?.kind ?? ''}|${e.mapping?.from ?? ''}`));
  const add = (issue: PreflightIssue) => {
    const key = `${issue.code}|${issue.stepId ?? ''}|${issue.mapping?.kind ?? ''}|${issue.mapping?.from ?? ''}`;
    if (!seen.has(key)) {
      seen.add(key);
      errors.push(issue);
    }
  };
  for (const step of Object.values(plan.steps)) {
    if (step.action !== 'map' || !step.mapping || step.mapping.kind === 'project') continue;
    const entry = plan.mappings[step.mapping.kind][step.mapping.from];
    if (!entry || entry.to === null) {
      add({ code: 'unresolved-mapping', stepId: step.id, mapping: step.mapping, message: `${step.mapping.kind} ${step.mapping.from} is not mapped to anything in the target`, hint: `set mappings.${step.mapping.kind}["${step.mapping.from}"].to in the plan file, or re-plan with --map ${step.mapping.kind}:${step.mapping.from}=<target>` });
    }
  }
  if (facts) recheckAgainstFacts(plan, facts, add);
  return { ok: errors.length === 0, errors };
}

/** Throws PreflightFailedError (exit code 12) unless the plan passes its preflight. */
export function assertPreflight(plan: Plan, facts?: TargetFacts): void {
  const result = preflight(plan, facts);
  if (!result.ok) throw new PreflightFailedError(result.errors);
}

function recheckAgainstFacts(plan: Plan, facts: TargetFacts, add: (issue: PreflightIssue) => void): void {
  const lists: Partial<Record<MappingKind, NamedTarget[]>> = {
    flavor: facts.flavors,
    network: facts.networks,
    subnet_pool: facts.subnetPools ?? [],
    volume_type: facts.volumeTypes,
    image: facts.images,
    user: facts.users,
    group: facts.groups ?? [],
    role: facts.roles,
  };
  for (const kind of Object.keys(lists) as MappingKind[]) {
    if (kind === 'project') continue;
    const list = lists[kind]!;
    for (const [from, entry] of Object.entries(plan.mappings[kind])) {
      if (entry.to === null || entry.to === '') continue;
      const byId = entry.toId ? list.find((item) => item.id === entry.toId) : undefined;
      const byName = list.filter((item) => item.name === entry.to);
      if (entry.toId && !byId) {
        add({ code: 'mapping-target-gone', mapping: { kind, from }, message: `${kind} mapping ${from} → ${entry.to} (${entry.toId}): no ${kind} with that ID exists in the target any more`, hint: `re-plan, or fix mappings.${kind}["${from}"] in the plan file` });
      } else if (byId && byId.name !== entry.to) {
        add({ code: 'mapping-inconsistent', mapping: { kind, from }, message: `${kind} mapping ${from}: "to" says ${entry.to} but toId ${entry.toId} is ${byId.name} in the target`, hint: `set both "to" and "toId" (or remove "toId") in mappings.${kind}["${from}"]` });
      } else if (!entry.toId && byName.length === 0) {
        add({ code: 'mapping-target-missing', mapping: { kind, from }, message: `${kind} mapping ${from} → ${entry.to}: the target has no ${kind} "${entry.to}"`, hint: `target ${kind}s: ${[...new Set(list.map((i) => i.name))].sort().join(', ') || '(none)'}` });
      }
    }
  }
  const zones = facts.availabilityZones;
  if (zones) {
    for (const [from, entry] of Object.entries(plan.mappings.availability_zone)) {
      if (entry.to === null || entry.to === '') continue;
      if (!zones.compute.includes(entry.to) && !zones.volume.includes(entry.to)) {
        add({ code: 'mapping-target-missing', mapping: { kind: 'availability_zone', from }, message: `availability zone mapping ${from} → ${entry.to}: no such zone in the target`, hint: `compute zones: ${zones.compute.join(', ') || '(none)'}; volume zones: ${zones.volume.join(', ') || '(none)'}` });
      }
    }
  }
  if (!plan.target.project.exists && facts.project.exists) {
    add({ code: 'project-appeared', message: `project ${facts.project.name} exists in the target now, but the plan creates it`, hint: 're-plan' });
  }
  if (plan.target.project.exists && !facts.project.exists) {
    add({ code: 'project-gone', message: `project ${plan.target.project.name} no longer exists in the target`, hint: 're-plan' });
  }
}
