// The restore plan: its file format (docs/restore-plans.md) as zod schemas, and the TypeScript
// types inferred from them, so the file a person edits and the object the executor runs are
// checked by one definition. Objects are strict: a misspelt key is an error, not ignored.
import { z } from 'zod';
import { RESOURCE_KINDS } from '../src/model/kinds.js';
import { MAPPING_KINDS } from './mapping-rules.js';

export const PLAN_FORMAT = 'permafrost-restore-plan';
export const PLAN_VERSION = 1;

export const STEP_ACTIONS = ['create', 'reuse', 'skip', 'update', 'map'] as const;
export type StepAction = (typeof STEP_ACTIONS)[number];

/**
 * What a step does to its resource. `restore` is the resource itself; the others are the extra
 * steps that break dependency cycles (router interfaces after subnets, floating-IP association
 * after ports, volume attachment after server and volume, rules that point at groups).
 */
export const STEP_OPERATIONS = [
  'restore',
  'router-interface',
  'floating-ip-associate',
  'volume-attach',
  'security-group-rules',
] as const;
export type StepOperation = (typeof STEP_OPERATIONS)[number];

/** How an in-place overwrite (`action: update`) replaces an existing resource. */
export const UPDATE_STRATEGIES = ['rebuild', 'replace', 'reimage', 'replace-data', 'update-fields'] as const;
export type UpdateStrategy = (typeof UPDATE_STRATEGIES)[number];

export const MAPPING_METHODS = ['explicit', 'id', 'name', 'spec', 'checksum', 'default', 'unresolved'] as const;
export type MappingMethod = (typeof MAPPING_METHODS)[number];

const noteSchema = z.strictObject({
  level: z.enum(['info', 'warning']),
  code: z.string().min(1),
  message: z.string().min(1),
});
export type PlanNote = z.infer<typeof noteSchema>;

const dataStreamSchema = z.strictObject({
  stream: z.string().min(1),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  cloudChecksum: z.string().optional(),
});

export const stepSchema = z.strictObject({
  id: z.string().min(1),
  kind: z.enum(RESOURCE_KINDS),
  operation: z.enum(STEP_OPERATIONS),
  action: z.enum(STEP_ACTIONS),
  /** The resource's ID in the snapshot (old ID). */
  sourceId: z.string().min(1),
  /** Name in the snapshot. */
  name: z.string(),
  /** Name the resource gets (or has) in the target. */
  targetName: z.string().optional(),
  /** ID in the target when already known (reuse, skip, update, map). */
  targetId: z.string().optional(),
  /** For `map` steps: the mapping entry (plan.mappings[kind][from]) that names the target. */
  mapping: z.strictObject({ kind: z.enum(MAPPING_KINDS), from: z.string() }).optional(),
  /** For `update` steps: how the existing resource is overwritten. */
  update: z.enum(UPDATE_STRATEGIES).optional(),
  /** Operation inputs by old ID (router/subnet/port of an interface, server/volume of an attachment...). */
  params: z.record(z.string(), z.unknown()).optional(),
  /** Fields whose value changes by a mapping: dotted path → {from, to}. */
  mappedFields: z.record(z.string(), z.strictObject({ from: z.unknown(), to: z.unknown() })),
  data: z.strictObject({ bytes: z.number().int().nonnegative(), streams: z.array(dataStreamSchema) }),
  dependsOn: z.array(z.string().min(1)),
  notes: z.array(noteSchema),
  /** Why a step is skipped (or what the snapshot said about the resource). */
  reason: z.string().optional(),
});
export type PlanStep = z.infer<typeof stepSchema>;

export const mappingEntrySchema = z.strictObject({
  /** Target name ('' = the target's default, e.g. let the scheduler choose the AZ); null = unresolved. */
  to: z.string().nullable(),
  toId: z.string().optional(),
  by: z.enum(MAPPING_METHODS),
  note: z.string().optional(),
});
export type MappingEntry = z.infer<typeof mappingEntrySchema>;

const mappingTableSchema = z.record(z.string(), mappingEntrySchema);

export const mappingsSchema = z.strictObject({
  cloud: z.strictObject({ from: z.string(), to: z.string(), same: z.boolean() }),
  region: z.strictObject({ from: z.string().optional(), to: z.string().optional() }),
  project: z.strictObject({
    from: z.strictObject({ id: z.string(), name: z.string() }),
    to: z.strictObject({ name: z.string().min(1), id: z.string().optional(), exists: z.boolean() }),
  }),
  flavor: mappingTableSchema,
  network: mappingTableSchema,
  subnet_pool: mappingTableSchema,
  volume_type: mappingTableSchema,
  availability_zone: mappingTableSchema,
  image: mappingTableSchema,
  user: mappingTableSchema,
  group: mappingTableSchema,
  role: mappingTableSchema,
});
export type PlanMappings = z.infer<typeof mappingsSchema>;

export const preflightErrorSchema = z.strictObject({
  code: z.string().min(1),
  message: z.string().min(1),
  stepId: z.string().optional(),
  mapping: z.strictObject({ kind: z.enum(MAPPING_KINDS), from: z.string() }).optional(),
  hint: z.string().optional(),
});
export type PreflightIssue = z.infer<typeof preflightErrorSchema>;

const countsSchema = z.strictObject({
  create: z.number().int().nonnegative(),
  reuse: z.number().int().nonnegative(),
  skip: z.number().int().nonnegative(),
  update: z.number().int().nonnegative(),
  map: z.number().int().nonnegative(),
});

export const totalsSchema = z.strictObject({
  steps: z.number().int().nonnegative(),
  actions: countsSchema,
  /** Bytes the executor uploads (create and update steps). */
  bytesToTransfer: z.number().int().nonnegative(),
  /** Bytes not uploaded because the target already has them (reused images, skipped resources). */
  bytesAvoided: z.number().int().nonnegative(),
  warnings: z.number().int().nonnegative(),
});
export type PlanTotals = z.infer<typeof totalsSchema>;

export const planSchema = z.strictObject({
  format: z.literal(PLAN_FORMAT),
  version: z.literal(PLAN_VERSION),
  /** The restore's ID, stamped on everything it creates (with the old ID) for idempotent re-runs. */
  id: z.string().min(1),
  createdAt: z.string().optional(),
  snapshot: z.strictObject({ id: z.string().min(1), time: z.string().optional() }),
  source: z.strictObject({
    cloud: z.string(),
    region: z.string().optional(),
    authUrl: z.string().optional(),
    project: z.strictObject({ id: z.string(), name: z.string() }),
  }),
  target: z.strictObject({
    cloud: z.string(),
    region: z.string().optional(),
    authUrl: z.string().optional(),
    project: z.strictObject({ name: z.string().min(1), id: z.string().optional(), exists: z.boolean() }),
  }),
  mode: z.enum(['create', 'in-place']),
  overwrite: z.enum(['skip', 'overwrite']),
  /** `--only` selectors; empty = the whole project. */
  only: z.array(z.string()),
  mappings: mappingsSchema,
  /** Step IDs per wave; a wave starts when every earlier wave is done. */
  waves: z.array(z.array(z.string().min(1))),
  steps: z.record(z.string(), stepSchema),
  totals: totalsSchema,
  /** Plan-wide notes (unused mappings, unchecked facts, another cloud). */
  notes: z.array(noteSchema),
  preflight: z.strictObject({ ok: z.boolean(), errors: z.array(preflightErrorSchema) }),
});
export type Plan = z.infer<typeof planSchema>;
export type RestoreMode = Plan['mode'];
export type OverwritePolicy = Plan['overwrite'];
