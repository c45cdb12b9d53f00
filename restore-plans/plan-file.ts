// Reading and writing the plan file. A person may edit it (change an action, a target name, a
// mapping), so parsePlan checks it fully: the schema (every bad field named by its path) and the
// plan's own consistency (every dependency exists and runs in an earlier wave, every step is in
// exactly one wave, every map step has its mapping). Totals are recomputed, never trusted.
import { ConfigError } from '../src/errors.js';
import { PLAN_FORMAT, PLAN_VERSION, planSchema, type Plan } from './plan-schema.js';
import { computeTotals } from './plan-totals.js';

export class PlanFileError extends ConfigError {
  constructor(readonly problems: string[], source: string) {
    super(`${source} is not a valid restore plan (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PlanFileError';
  }
}

/** The plan as the file holds it: pretty JSON with a trailing newline (diff-friendly). */
export function serializePlan(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}

/** Parses and validates a plan file's text (or an already parsed object). */
export function parsePlan(input: string | unknown, source = 'plan file'): Plan {
  let doc: unknown = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch (err) {
      throw new PlanFileError([`not JSON: ${(err as Error).message}`], source);
    }
  }
  if (doc !== null && typeof doc === 'object') {
    const head = doc as { format?: unknown; version?: unknown };
    if (head.format !== PLAN_FORMAT) {
      throw new PlanFileError([`format: expected "${PLAN_FORMAT}", found ${JSON.stringify(head.format)}`], source);
    }
    if (typeof head.version === 'number' && head.version > PLAN_VERSION) {
      throw new PlanFileError([`version: ${head.version} was written by a newer permafrost (this one reads version ${PLAN_VERSION}); upgrade permafrost`], source);
    }
  }
  const parsed = planSchema.safeParse(doc);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    throw new PlanFileError(problems, source);
  }
  const plan = parsed.data;
  const problems = consistencyProblems(plan);
  if (problems.length > 0) throw new PlanFileError(problems, source);
  plan.totals = computeTotals(plan);
  return plan;
}

/** `steps["port:ab"].action`-style paths, the way a person finds the spot in the file. */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(part))) out += out === '' ? String(part) : `.${String(part)}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

export function consistencyProblems(plan: Plan): string[] {
  const problems: string[] = [];
  const waveOf = new Map<string, number>();
  plan.waves.forEach((wave, index) => {
    for (const id of wave) {
      if (waveOf.has(id)) problems.push(`waves[${index}]: step "${id}" is already in waves[${waveOf.get(id)}]`);
      else waveOf.set(id, index);
      if (!(id in plan.steps)) problems.push(`waves[${index}]: step "${id}" is not in "steps"`);
    }
  });
  for (const [key, step] of Object.entries(plan.steps)) {
    const at = `steps[${JSON.stringify(key)}]`;
    if (step.id !== key) problems.push(`${at}.id: is "${step.id}", must equal its key "${key}"`);
    if (!waveOf.has(key)) problems.push(`${at}: the step is in no wave; add it to "waves"`);
    for (const dep of step.dependsOn) {
      if (!(dep in plan.steps)) {
        problems.push(`${at}.dependsOn: "${dep}" is not a step of this plan`);
      } else if (waveOf.has(key) && waveOf.has(dep) && waveOf.get(dep)! >= waveOf.get(key)!) {
        problems.push(`${at}.dependsOn: "${dep}" runs in wave ${waveOf.get(dep)! + 1}, not before this step's wave ${waveOf.get(key)! + 1}`);
      }
    }
    if (step.action === 'map') {
      if (!step.mapping) problems.push(`${at}.mapping: a "map" step needs {"kind", "from"} naming its entry in "mappings"`);
      else if (step.mapping.kind !== 'project' && !(step.mapping.from in plan.mappings[step.mapping.kind])) {
        problems.push(`${at}.mapping: mappings.${step.mapping.kind} has no entry "${step.mapping.from}"`);
      }
    }
    if (step.action === 'update' && !step.update) problems.push(`${at}.update: an "update" step needs a strategy (rebuild, replace, reimage, replace-data, update-fields)`);
    if ((step.action === 'reuse' || step.action === 'update') && !step.targetId && !(step.kind === 'security_group' && step.name === 'default') && step.operation === 'restore') {
      problems.push(`${at}.targetId: a "${step.action}" step needs the ID of the existing target resource`);
    }
  }
  return problems;
}
