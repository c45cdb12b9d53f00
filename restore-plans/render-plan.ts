// The plan as a person reads it before saying yes: where from, where to, every mapping, the
// waves with one line per step (action, kind, name, data to upload), warnings under their step,
// totals, and the preflight verdict.
import { compareText, STAGES, stageOf } from './kind-stages.js';
import type { MappingEntry, Plan, PlanStep } from './plan-schema.js';

export interface RenderOptions {
  /** Also print informational notes and the reasons of reuse/skip (default: warnings only). */
  verbose?: boolean;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function where(side: Plan['source'] | Plan['target'], projectLabel: string): string {
  return `${side.cloud}${side.region ? `/${side.region}` : ''}, project ${projectLabel}`;
}

function describeMapping(from: string, entry: MappingEntry): string {
  const to = entry.to === null ? 'UNRESOLVED' : entry.to === '' ? '(target default)' : entry.to;
  return `${from} → ${to} (${entry.by}${entry.note ? `: ${entry.note}` : ''})`;
}

function stepLine(step: PlanStep): string {
  // objects by container/name (names repeat across containers), unnamed resources by ID
  const name = step.kind === 'object' && step.operation === 'restore' ? step.sourceId : step.name || step.sourceId;
  const target =
    step.action === 'map' || (step.targetName !== undefined && step.targetName !== step.name && step.operation === 'restore')
      ? ` → ${step.targetName ?? '?'}`
      : '';
  const op = step.operation === 'restore' ? '' : ` [${step.operation}]`;
  const update = step.action === 'update' && step.update ? ` (${step.update})` : '';
  const bytes = step.data.bytes > 0 ? `  ${formatBytes(step.data.bytes)}` : '';
  return `  ${step.action.padEnd(7)} ${step.kind.padEnd(20)} ${name}${target}${op}${update}${bytes}`;
}

export function renderPlan(plan: Plan, options: RenderOptions = {}): string {
  const lines: string[] = [];
  const target = plan.target.project;
  lines.push(`Restore plan ${plan.id} of snapshot ${plan.snapshot.id}${plan.snapshot.time ? ` (${plan.snapshot.time})` : ''}`);
  lines.push(`  from  ${where(plan.source, `${plan.source.project.name} (${plan.source.project.id})`)}`);
  lines.push(`  into  ${where(plan.target, `${target.name}${target.exists ? target.id ? ` (${target.id})` : '' : ' (new)'}`)}`);
  lines.push(`  mode  ${plan.mode}${plan.mode === 'in-place' ? `, existing resources: ${plan.overwrite}` : ''}${plan.only.length > 0 ? `; only ${plan.only.join(', ')} and what they need` : ''}`);

  const mappingLines: string[] = [];
  if (!plan.mappings.cloud.same) mappingLines.push(`  cloud              ${plan.mappings.cloud.from} → ${plan.mappings.cloud.to}`);
  if (plan.mappings.region.from !== plan.mappings.region.to) mappingLines.push(`  region             ${plan.mappings.region.from ?? '?'} → ${plan.mappings.region.to ?? '?'}`);
  if (plan.mappings.project.from.name !== plan.mappings.project.to.name) mappingLines.push(`  project            ${plan.mappings.project.from.name} → ${plan.mappings.project.to.name}`);
  for (const kind of ['flavor', 'network', 'subnet_pool', 'volume_type', 'availability_zone', 'image', 'user', 'group', 'role'] as const) {
    for (const [from, entry] of Object.entries(plan.mappings[kind]).sort(([a], [b]) => compareText(a, b))) {
      mappingLines.push(`  ${kind.padEnd(18)} ${describeMapping(from, entry)}`);
    }
  }
  if (mappingLines.length > 0) lines.push('', 'Mappings:', ...mappingLines);

  plan.waves.forEach((wave, index) => {
    const stage = STAGES[Math.max(0, ...wave.map((id) => stageOf(plan.steps[id]!.kind)))];
    const bytes = wave.reduce((sum, id) => sum + plan.steps[id]!.data.bytes, 0);
    lines.push('', `Wave ${index + 1} (${stage}): ${wave.length} step${wave.length === 1 ? '' : 's'}${bytes > 0 ? `, ${formatBytes(bytes)} to upload` : ''}`);
    for (const id of wave) {
      const step = plan.steps[id]!;
      lines.push(stepLine(step));
      if (options.verbose && step.reason) lines.push(`            ${step.reason}`);
      for (const note of step.notes) {
        if (note.level === 'warning') lines.push(`            ! ${note.message}`);
        else if (options.verbose) lines.push(`            i ${note.message}`);
      }
    }
  });

  const t = plan.totals;
  lines.push(
    '',
    `Totals: ${t.steps} steps: ${t.actions.create} create, ${t.actions.reuse} reuse, ${t.actions.skip} skip, ${t.actions.update} update, ${t.actions.map} map; ` +
      `data to upload ${formatBytes(t.bytesToTransfer)}${t.bytesAvoided > 0 ? ` (${formatBytes(t.bytesAvoided)} already in the target or not restored)` : ''}; ${t.warnings} warning${t.warnings === 1 ? '' : 's'}`,
  );
  const planNotes = plan.notes.filter((n) => options.verbose || n.level === 'warning');
  if (planNotes.length > 0) {
    lines.push('', 'Notes:');
    for (const note of planNotes) lines.push(`  ${note.level === 'warning' ? '!' : 'i'} ${note.message}`);
  }
  if (plan.preflight.errors.length === 0) {
    lines.push('', 'Preflight: OK, every mapping is satisfied.');
  } else {
    lines.push('', `Preflight: FAILED, ${plan.preflight.errors.length} problem${plan.preflight.errors.length === 1 ? '' : 's'} (nothing will be changed):`);
    for (const error of plan.preflight.errors) {
      lines.push(`  - ${error.message}`);
      if (error.hint) lines.push(`    → ${error.hint}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
