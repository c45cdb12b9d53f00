// The restore extension of the service-module contract (services/module.ts, optional `restore`
// property). A service recreates the kinds it owns: the executor (src/restore/executor.ts) walks
// the plan's waves and hands each step to the restorer of its kind (or of its extra operation:
// router interface, floating-IP association, volume attachment). Restorers never decide *what*
// to do — the plan did — only *how*, through the service's public API.
import type { Readable } from 'node:stream';
import type { ResourceKind } from '../src/model/kinds.js';
import type { ResourceRecord } from '../src/model/resource.js';
import type { Session } from '../src/openstack/types.js';

/** What a restorer sees of a plan step (restore-plans/plan-schema.ts PlanStep, read-only). */
export interface RestoreStep {
  id: string;
  kind: ResourceKind;
  operation: string;
  action: string;
  /** Old ID (in the snapshot). */
  sourceId: string;
  name: string;
  targetName?: string;
  targetId?: string;
  update?: string;
  params?: Record<string, unknown>;
  mappedFields: Record<string, { from: unknown; to: unknown }>;
  /** An earlier run started this step and died: the resource may exist without its marker yet. */
  previouslyStarted?: boolean;
}

/** A helper resource a restorer made on the way (root-disk image): deleted again on rollback. */
export interface AuxiliaryResource {
  kind: ResourceKind;
  id: string;
  /** Temporary: deleted by the restorer itself once used (an image a volume was filled from). */
  temporary?: boolean;
}

export interface RestoreContext {
  /** Session on the target cloud, scoped to the target project. */
  session: Session;
  /** The target project's ID. */
  projectId: string;
  /** The restore's ID: stamped on every created resource (see restore-marker.ts). */
  restoreId: string;
  mode: 'create' | 'in-place';
  /** Whether the target is the snapshot's own cloud (same Keystone). */
  sameCloud: boolean;
  /** The snapshot record of the step's resource (undefined for map steps of outside resources). */
  record?: ResourceRecord;
  /** Any snapshot record by kind and old ID. */
  recordOf(kind: ResourceKind, oldId: string): ResourceRecord | undefined;
  /** Every snapshot record of a kind. */
  recordsOf(kind: ResourceKind): ResourceRecord[];
  /** New ID of an already restored / reused / mapped resource, by kind and old ID. */
  targetIdOf(kind: ResourceKind, oldId: string): string | undefined;
  /** Like targetIdOf, but an unknown reference is an error naming `what` needs it. */
  requireTargetId(kind: ResourceKind, oldId: string, what: string): string;
  /** Name the resource got in the target (mapped names: flavors, keypairs, volume types). */
  targetNameOf(kind: ResourceKind, oldId: string): string | undefined;
  /** A data stream of the snapshot (`image/<id>`, `volume/<id>`, `server/<id>`, `object/<c>/<n>`). */
  readStream(name: string): Promise<Readable>;
  /** Memoized typed client of the target session (one per service per restore). */
  client<T>(key: string, open: (session: Session) => Promise<T>): Promise<T>;
  /** Records an auxiliary resource as soon as the cloud returned its ID (crash-safe rollback). */
  trackAuxiliary(resource: AuxiliaryResource): Promise<void>;
  /** Forgets an auxiliary resource once it was deleted. */
  releaseAuxiliary(resource: AuxiliaryResource): Promise<void>;
  /** Something that could not be restored exactly as it was: goes into the report. */
  note(message: string): void;
  /** Bytes uploaded, for progress bars. */
  progress(bytes: number): void;
  signal: AbortSignal;
}

export interface RestoredResource {
  /** ID of the resource in the target. */
  id: string;
  /** Fields that could not keep their value (dotted path → what it became and why). */
  changed?: Record<string, { to: unknown; why: string }>;
}

export interface KindRestorer {
  /** The resource a previous (crashed) run of this restore created, found by its restore marker. */
  findExisting(ctx: RestoreContext, step: RestoreStep): Promise<string | undefined>;
  create(ctx: RestoreContext, step: RestoreStep): Promise<RestoredResource>;
  /** In-place overwrite (`action: update`, strategy in step.update) of the existing targetId. */
  update?(ctx: RestoreContext, step: RestoreStep, targetId: string): Promise<RestoredResource>;
  /** Re-applies states that would block later steps (pause, lock, shutoff) once everything is done. */
  finish?(ctx: RestoreContext, step: RestoreStep, targetId: string): Promise<void>;
  /** Rollback: deletes what this restore created (waits until it is gone where later deletes need it). */
  delete(ctx: RestoreContext, step: RestoreStep, targetId: string): Promise<void>;
  /** Rollback, before any deletion: drops settings that hold other resources in place (a router's static routes need its interfaces). */
  loosen?(ctx: RestoreContext, step: RestoreStep, targetId: string): Promise<void>;
  /** End of an apply: removes the restore marker (tags, metadata, properties) from what this restore made. */
  unmark?(ctx: RestoreContext, step: RestoreStep, targetId: string): Promise<void>;
}

/** Extra steps that break dependency cycles (router-interface, floating-ip-associate, volume-attach, security-group-rules). */
export interface OperationRestorer {
  /** Whether the link already exists (a re-run after a crash); returns its ID if it does. */
  findExisting(ctx: RestoreContext, step: RestoreStep): Promise<string | undefined>;
  apply(ctx: RestoreContext, step: RestoreStep): Promise<RestoredResource>;
  undo(ctx: RestoreContext, step: RestoreStep, targetId: string): Promise<void>;
  /** End of an apply: removes the restore marker from what the link made (a router interface's port). */
  unmark?(ctx: RestoreContext, step: RestoreStep, targetId: string): Promise<void>;
}

export interface ServiceRestoreHooks {
  kinds?: Partial<Record<ResourceKind, KindRestorer>>;
  /** Keyed by `<kind>/<operation>` (e.g. `router/router-interface`, `port/router-interface`). */
  operations?: Record<string, OperationRestorer>;
}

/**
 * Thrown by a restorer for a resource that cannot be recreated as it was by design (a secret
 * that was never backed up, …): the step ends "not restorable" with this reason — a warning in
 * the report, not a failure.
 */
export class NotRestorableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotRestorableError';
  }
}
