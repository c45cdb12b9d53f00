// The restore planner's public surface (pure: no I/O). The executor and the `restore` CLI
// commands import from here. Format and semantics: docs/restore-plans.md.
export { buildPlan, isSameCloud, type PlanOptions } from './build-plan.js';
export type {
  ExistingResource,
  NamedTarget,
  SnapshotManifestInput,
  TargetFacts,
  TargetFlavor,
  TargetImage,
  TargetNetwork,
} from './planner-input.js';
export {
  PLAN_FORMAT,
  PLAN_VERSION,
  STEP_ACTIONS,
  STEP_OPERATIONS,
  UPDATE_STRATEGIES,
  planSchema,
  type MappingEntry,
  type OverwritePolicy,
  type Plan,
  type PlanMappings,
  type PlanNote,
  type PlanStep,
  type PlanTotals,
  type PreflightIssue,
  type RestoreMode,
  type StepAction,
  type StepOperation,
  type UpdateStrategy,
} from './plan-schema.js';
export { MAPPING_KINDS, mergeMappingRules, parseMapArgs, parseMappingFile, type MappingKind, type MappingRules } from './mapping-rules.js';
export { formatSelector, parseSelector, type Selector } from './selectors.js';
export { assertPreflight, preflight, PreflightFailedError, type PreflightResult } from './preflight.js';
export { parsePlan, PlanFileError, serializePlan } from './plan-file.js';
export { formatBytes, renderPlan, type RenderOptions } from './render-plan.js';
export { initialIdMap, lookupId, setId, type IdMap, type IdMapEntry } from './id-map.js';
export { rewriteRefs, type RewriteResult } from './rewrite-refs.js';
export { compareFidelity, type FidelityContext, type FidelityReport, type FieldDifference } from './fidelity.js';
export { isRestoreMarker, readSourceId, sourceMetadata, sourceTags, TAGGABLE } from './source-marker.js';
export { existingFromInventory, manifestInputFromBackup } from './from-inventory.js';
export { computeTotals } from './plan-totals.js';
