// buildPlan(manifest, facts, options): the pure heart of `permafrost restore plan`. Resolves the
// mappings, builds the steps and their dependencies, applies `--only`, orders the waves and
// runs the preflight. Nothing here talks to a cloud.
import { createHash } from 'node:crypto';
import { ConfigError } from '../src/errors.js';
import type { ResourceRecord } from '../src/model/resource.js';
import { resolveMappings } from './mapping-resolver.js';
import type { MappingRules } from './mapping-rules.js';
import { PLAN_FORMAT, PLAN_VERSION, stepSchema, type OverwritePolicy, type Plan, type PlanNote, type PlanStep, type RestoreMode } from './plan-schema.js';
import { computeTotals } from './plan-totals.js';
import type { SnapshotManifestInput, TargetFacts } from './planner-input.js';
import { selectSteps } from './selection-closure.js';
import { formatSelector, parseSelector, type Selector } from './selectors.js';
import { buildStepGraph, type StepGraph } from './step-graph.js';
import { compareSteps, layerIntoWaves } from './wave-layering.js';

export interface PlanOptions {
  /** `create` (default): into a new/empty or other project; `in-place`: into the original project. */
  mode?: RestoreMode;
  /** In place, what happens to resources that exist: `skip` (default) or `overwrite`. */
  overwrite?: OverwritePolicy;
  /** Target project name (default: the one the facts describe). */
  targetProject?: string;
  /** `--map` rules merged with the mapping file (see mapping-rules.ts). */
  mappings?: MappingRules;
  /** `--only` selectors (`server:web-1`); empty = the whole project. */
  only?: readonly (string | Selector)[];
  /** Reuse a target image with the same checksum instead of uploading (default true). */
  reuseImagesByChecksum?: boolean;
  /** The restore's ID; default: derived from snapshot + target, so re-planning gives the same ID. */
  restoreId?: string;
  /** ISO time stamp written into the plan (the caller's clock; the planner has none). */
  createdAt?: string;
}

export function buildPlan(manifest: SnapshotManifestInput, facts: TargetFacts, options: PlanOptions = {}): Plan {
  const mode = options.mode ?? 'create';
  const overwrite = options.overwrite ?? 'skip';
  const rules = options.mappings ?? {};
  const selectors = (options.only ?? []).map((s) => (typeof s === 'string' ? parseSelector(s) : s));
  const targetName = options.targetProject ?? facts.project.name;
  if (targetName !== facts.project.name) {
    throw new ConfigError(`the target facts describe project "${facts.project.name}" but the plan is for "${targetName}": gather the facts for the target project`);
  }
  const targetProject = { name: targetName, ...(facts.project.id ? { id: facts.project.id } : {}), exists: facts.project.exists };
  const sameCloud = isSameCloud(manifest, facts);
  const reuseImagesByChecksum = options.reuseImagesByChecksum ?? true;
  const plan = (records: ResourceRecord[]) => {
    const subset: SnapshotManifestInput = { ...manifest, resources: records };
    const resolution = resolveMappings(subset, facts, rules, { reuseImagesByChecksum });
    const graph = buildStepGraph({ manifest: subset, facts, resolution, mode, overwrite, targetProject, sameCloud });
    return { resolution, graph };
  };

  let { resolution, graph } = plan(manifest.resources);
  if (selectors.length > 0) {
    // first pass on everything finds the closure; the second plans exactly the records in it,
    // so mappings and preflight errors concern only what is restored
    const chosen = selectSteps(graph, manifest.resources, selectors);
    const keep = new Set(recordsOfSteps(graph, chosen));
    const firstPass = graph;
    ({ resolution, graph } = plan(manifest.resources.filter((r) => keep.has(`${r.kind}:${r.id}`))));
    for (const id of [...graph.steps.keys()]) {
      // secondary steps of a kept record that the closure did not pull in stay out
      if (firstPass.steps.has(id) && !chosen.has(id) && !isMapStep(graph.steps.get(id)!)) graph.steps.delete(id);
    }
    for (const step of graph.steps.values()) step.dependsOn = step.dependsOn.filter((d) => graph.steps.has(d));
  }

  const layering = layerIntoWaves(graph.steps);
  const order = compareSteps(graph.steps);
  const steps: Record<string, PlanStep> = {};
  for (const id of [...graph.steps.keys()].sort(order)) {
    const step = graph.steps.get(id)!;
    step.dependsOn.sort(order);
    // parsing our own step puts its keys in the documented order (id, kind, operation, action, ...)
    // for the person reading the file, and checks the planner's output against the file format
    steps[id] = stepSchema.parse(step);
  }

  const notes: PlanNote[] = [...resolution.notes];
  if (!sameCloud) {
    notes.push({ level: 'info', code: 'other-cloud', message: `restoring from cloud ${manifest.source.cloud}${manifest.source.region ? `/${manifest.source.region}` : ''} into ${facts.cloud}${facts.region ? `/${facts.region}` : ''}: IDs, floating IP addresses and host-bound attributes change` });
  } else if (manifest.source.region && facts.region && manifest.source.region !== facts.region) {
    notes.push({ level: 'info', code: 'other-region', message: `restoring from region ${manifest.source.region} into ${facts.region}` });
  }
  if (mode === 'in-place' && facts.project.id !== undefined && facts.project.id !== manifest.source.project.id) {
    notes.push({ level: 'warning', code: 'in-place-other-project', message: `in-place mode, but the target project ${facts.project.name} (${facts.project.id}) is not the snapshot's project ${manifest.source.project.name} (${manifest.source.project.id}): resources are matched by name and restore marker only` });
  }

  const errors = [...resolution.errors, ...graph.errors, ...layering.errors];
  const result: Plan = {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    id: options.restoreId ?? deriveRestoreId(manifest, facts, targetName, mode),
    ...(options.createdAt ? { createdAt: options.createdAt } : {}),
    snapshot: { id: manifest.snapshotId, ...(manifest.snapshotTime ? { time: manifest.snapshotTime } : {}) },
    source: {
      cloud: manifest.source.cloud,
      ...(manifest.source.region ? { region: manifest.source.region } : {}),
      ...(manifest.source.authUrl ? { authUrl: manifest.source.authUrl } : {}),
      project: { id: manifest.source.project.id, name: manifest.source.project.name },
    },
    target: {
      cloud: facts.cloud,
      ...(facts.region ? { region: facts.region } : {}),
      ...(facts.authUrl ? { authUrl: facts.authUrl } : {}),
      project: targetProject,
    },
    mode,
    overwrite,
    only: selectors.map(formatSelector),
    mappings: {
      cloud: { from: manifest.source.cloud, to: facts.cloud, same: sameCloud },
      region: { ...(manifest.source.region ? { from: manifest.source.region } : {}), ...(facts.region ? { to: facts.region } : {}) },
      project: { from: { id: manifest.source.project.id, name: manifest.source.project.name }, to: targetProject },
      ...resolution.tables,
    },
    waves: layering.waves,
    steps,
    totals: computeTotals({ steps, notes }),
    notes,
    preflight: { ok: errors.length === 0, errors },
  };
  return result;
}

function isMapStep(step: PlanStep): boolean {
  return step.action === 'map' && step.mapping !== undefined && step.operation === 'restore' && !step.id.includes('/');
}

function recordsOfSteps(graph: StepGraph, chosen: ReadonlySet<string>): string[] {
  const keys: string[] = [];
  for (const [recordKey, stepIds] of graph.stepsOfRecord) {
    if (stepIds.some((id) => chosen.has(id))) keys.push(recordKey);
  }
  return keys;
}

function normalizeUrl(url: string): string {
  return url.trim().replace(/\/+$/, '').replace(/\/v3$/, '').toLowerCase();
}

/** Same Keystone URL when both are known, else the same clouds.yaml name. */
export function isSameCloud(manifest: SnapshotManifestInput, facts: TargetFacts): boolean {
  if (manifest.source.authUrl && facts.authUrl) return normalizeUrl(manifest.source.authUrl) === normalizeUrl(facts.authUrl);
  return manifest.source.cloud === facts.cloud;
}

function deriveRestoreId(manifest: SnapshotManifestInput, facts: TargetFacts, targetName: string, mode: RestoreMode): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([manifest.snapshotId, facts.authUrl ?? facts.cloud, facts.region ?? '', targetName, mode]))
    .digest('hex');
  return `r-${digest.slice(0, 16)}`;
}
