// The progress of one `restore apply`, persisted next to the plan (`<plan>.state.json`) after
// every change: each step's state, the old-ID → new-ID map, and auxiliary resources (root-disk
// images, temporary images) as soon as the cloud returned their IDs. Written atomically (temp
// file, fsync, rename, fsync of the directory), so a SIGKILL at any instant leaves either the
// previous or the new state — never a torn file. Writes are serialized: steps run in parallel.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, ExitCode, PermafrostError } from '../errors.js';
import type { ResourceKind } from '../model/kinds.js';
import type { IdMap } from '../../restore-plans/id-map.js';

export const STATE_FORMAT = 'permafrost-restore-state';
export const STATE_VERSION = 1;

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'blocked' | 'not-restorable' | 'rolled-back';

export interface StepState {
  status: StepStatus;
  /** ID of the resource in the target (created, adopted, reused or mapped). */
  targetId?: string;
  /** Whether this restore created it (rollback deletes only those). */
  created?: boolean;
  /** Finishing touches (state, protection) done. */
  finished?: boolean;
  /** Helper resources made on the way (root-disk images); temporary ones are deleted by the step itself. */
  auxiliary?: Array<{ kind: ResourceKind; id: string; temporary?: boolean }>;
  /** Fields that could not keep their snapshot value, and why. */
  changed?: Record<string, { to: unknown; why: string }>;
  notes?: string[];
  error?: string;
  attempts?: number;
  startedAt?: string;
  finishedAt?: string;
}

export interface RestoreState {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  /** The plan's restore ID: a state file belongs to exactly one plan. */
  restoreId: string;
  /** Repository the plan's snapshot lives in (recorded by `restore plan`, used by `apply`). */
  repository?: string;
  /** Target project ID once known (created or found). */
  targetProjectId?: string;
  /** Whether this restore created the target project. */
  projectCreated?: boolean;
  idMap: IdMap;
  steps: Record<string, StepState>;
  startedAt?: string;
  updatedAt?: string;
  finishedAt?: string;
  rolledBackAt?: string;
  /** When the restore markers were taken off the restored resources (the end of a complete apply). */
  markersRemovedAt?: string;
}

export function statePathFor(planPath: string): string {
  return `${planPath.replace(/\.json$/i, '')}.state.json`;
}

export function newState(restoreId: string, repository?: string): RestoreState {
  return { format: STATE_FORMAT, version: STATE_VERSION, restoreId, ...(repository ? { repository } : {}), idMap: {}, steps: {} };
}

export function readState(file: string): RestoreState | undefined {
  if (!existsSync(file)) return undefined;
  let doc: RestoreState;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as RestoreState;
  } catch (err) {
    throw new ConfigError(`restore state file ${file} is not valid JSON (${(err as Error).message}); it is written atomically, so it was edited by hand: restore it or delete it to start over`);
  }
  if (doc.format !== STATE_FORMAT) throw new ConfigError(`${file} is not a permafrost restore state file`);
  if (doc.version > STATE_VERSION) throw new ConfigError(`${file} was written by a newer permafrost (state version ${doc.version}); upgrade permafrost`);
  doc.idMap ??= {};
  doc.steps ??= {};
  return doc;
}

/** Writes `text` to `file` so that readers see the old or the new content, even after a power cut. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    // The previous file stays as it was, and no temporary file is left beside it.
    try {
      unlinkSync(tmp);
    } catch {
      /* never created */
    }
    const e = err as NodeJS.ErrnoException;
    throw new PermafrostError(`cannot write ${file}: ${e.message}`, e.code === 'ENOSPC' || e.code === 'EDQUOT' ? ExitCode.noSpace : ExitCode.config, { cause: err });
  }
  try {
    const dir = openSync(path.dirname(file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // some filesystems refuse fsync on a directory; the rename itself is still atomic
  }
}

/** The state of one run, saved after every change (serialized, atomic). */
export class StateStore {
  private pending: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    readonly state: RestoreState,
  ) {}

  step(id: string): StepState {
    return (this.state.steps[id] ??= { status: 'pending' });
  }

  /** Applies `change` and persists the whole state before the returned promise resolves. */
  update(change: (state: RestoreState) => void): Promise<void> {
    change(this.state);
    this.state.updatedAt = new Date().toISOString();
    const text = `${JSON.stringify(this.state, null, 2)}\n`;
    this.pending = this.pending.then(() => writeFileAtomic(this.file, text));
    return this.pending;
  }

  flush(): Promise<void> {
    return this.pending;
  }
}
