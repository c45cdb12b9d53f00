// Shared bookkeeping of a module's inventory: the records found, the kinds it could not read
// because of permissions (skipped, with the reason) and the kinds that failed for another
// reason (the run's exit code becomes "partial"). One kind failing never stops the others.
import type { ResourceKind } from '../../src/model/kinds.js';
import type { ResourceRecord, ResourceRef, SkippedKind } from '../../src/model/resource.js';
import type { InventoryResult } from '../module.js';
import { errorMessage, httpStatusOf } from './http-status.js';

export class InventoryCollector {
  readonly resources: ResourceRecord[] = [];
  readonly skipped: SkippedKind[] = [];
  readonly failed: SkippedKind[] = [];

  constructor(private readonly serviceLabel: string) {}

  /**
   * Runs the listing of one kind. 403 → skipped ("requires admin"); 404/501 on the list call →
   * skipped (the API or extension is not offered by this cloud); anything else → failed.
   * Returns undefined when the kind could not be read.
   */
  async kind<T>(kind: ResourceKind, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      this.noteFailure(kind, err);
      return undefined;
    }
  }

  /** Records why a kind (or part of it) could not be read; same classification as `kind`. */
  noteFailure(kind: ResourceKind, err: unknown, what?: string): void {
    const status = httpStatusOf(err);
    const subject = what ? `${what}: ` : '';
    if (status === 403) {
      this.skip(kind, `${subject}requires admin (${this.serviceLabel} answered 403 Forbidden)`);
    } else if (status === 404 || status === 501) {
      this.skip(kind, `${subject}not offered by this cloud (${this.serviceLabel} answered ${status})`);
    } else {
      const entry = { kind, reason: `${subject}${errorMessage(err)}` };
      if (!this.failed.some((f) => f.kind === entry.kind && f.reason === entry.reason)) this.failed.push(entry);
    }
  }

  skip(kind: ResourceKind, reason: string): void {
    if (!this.skipped.some((s) => s.kind === kind && s.reason === reason)) this.skipped.push({ kind, reason });
  }

  add(record: ResourceRecord): void {
    this.resources.push(record);
  }

  result(): InventoryResult {
    return { resources: this.resources, skipped: this.skipped, failed: this.failed };
  }
}

export interface RecordInput {
  kind: ResourceKind;
  id: string;
  name?: string | null;
  projectId?: string | null;
  size?: number | null;
  fields: object;
  refs?: Array<ResourceRef | undefined>;
}

/** Builds an `ok` ResourceRecord; drops empty refs and duplicate (kind, id, field) refs. */
export function makeRecord(input: RecordInput): ResourceRecord {
  const refs: ResourceRef[] = [];
  for (const ref of input.refs ?? []) {
    if (!ref) continue;
    if (refs.some((r) => r.kind === ref.kind && r.id === ref.id && r.field === ref.field)) continue;
    refs.push(ref);
  }
  const record: ResourceRecord = {
    kind: input.kind,
    id: input.id,
    name: input.name ?? '',
    fields: input.fields as Record<string, unknown>,
    refs,
    status: 'ok',
  };
  if (input.projectId) record.projectId = input.projectId;
  if (typeof input.size === 'number' && Number.isFinite(input.size)) record.size = input.size;
  return record;
}

/** A reference, or undefined when the id is empty (so callers can pass optional fields). */
export function ref(kind: ResourceKind, id: string | null | undefined, field: string, name?: string | null): ResourceRef | undefined {
  if (typeof id !== 'string' || id === '') return undefined;
  const r: ResourceRef = { kind, id, field };
  if (name) r.name = name;
  return r;
}
