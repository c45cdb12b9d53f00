// Builds the RestoreContext a restorer gets for one step: the target session, the snapshot's
// records, the ID map of what is restored so far, the repository's data streams, and the
// crash-safe bookkeeping of auxiliary resources in the state file.
import type { Readable } from 'node:stream';
import type { AuxiliaryResource, RestoreContext } from '../../services/restore-hooks.js';
import { lookupId } from '../../restore-plans/id-map.js';
import type { ResourceKind } from '../model/kinds.js';
import type { ResourceRecord } from '../model/resource.js';
import type { Session } from '../openstack/types.js';
import type { Repository } from '../repository/types.js';
import type { StateStore } from './state-file.js';

export interface RunContext {
  session: Session;
  projectId: string;
  restoreId: string;
  mode: 'create' | 'in-place';
  sameCloud: boolean;
  snapshotId: string;
  repository: Repository;
  records: Map<string, ResourceRecord>;
  store: StateStore;
  signal: AbortSignal;
  onBytes(n: number): void;
}

export const recordKey = (kind: ResourceKind, id: string) => `${kind}:${id}`;

export function contextForStep(run: RunContext, stepId: string, record: ResourceRecord | undefined, notes: string[]): RestoreContext {
  const clients = clientCache(run);
  const idMap = () => run.store.state.idMap;
  return {
    session: run.session,
    projectId: run.projectId,
    restoreId: run.restoreId,
    mode: run.mode,
    sameCloud: run.sameCloud,
    ...(record ? { record } : {}),
    recordOf: (kind, oldId) => run.records.get(recordKey(kind, oldId)),
    recordsOf: (kind) => [...run.records.values()].filter((r) => r.kind === kind),
    targetIdOf: (kind, oldId) => lookupId(idMap(), kind, oldId)?.id,
    requireTargetId(kind, oldId, what) {
      const found = lookupId(idMap(), kind, oldId)?.id;
      if (found === undefined) throw new Error(`${what} needs ${kind} ${run.records.get(recordKey(kind, oldId))?.name || oldId}, which is neither restored nor mapped in the target`);
      return found;
    },
    targetNameOf: (kind, oldId) => lookupId(idMap(), kind, oldId)?.name,
    readStream: (name: string): Promise<Readable> => run.repository.readStream(run.snapshotId, name),
    client: clients,
    trackAuxiliary: (aux: AuxiliaryResource) =>
      run.store.update(() => {
        const st = run.store.step(stepId);
        st.auxiliary = [...(st.auxiliary ?? []).filter((a) => !(a.kind === aux.kind && a.id === aux.id)), aux];
      }),
    releaseAuxiliary: (aux: AuxiliaryResource) =>
      run.store.update(() => {
        const st = run.store.step(stepId);
        st.auxiliary = (st.auxiliary ?? []).filter((a) => !(a.kind === aux.kind && a.id === aux.id));
      }),
    note: (message: string) => notes.push(message),
    progress: (bytes: number) => run.onBytes(bytes),
    signal: run.signal,
  };
}

const caches = new WeakMap<RunContext, <T>(key: string, open: (s: Session) => Promise<T>) => Promise<T>>();

/** One typed client per service for the whole run (they hold the negotiated microversion). */
function clientCache(run: RunContext) {
  let cache = caches.get(run);
  if (!cache) {
    const opened = new Map<string, Promise<unknown>>();
    cache = <T>(key: string, open: (s: Session) => Promise<T>): Promise<T> => {
      let p = opened.get(key);
      if (!p) {
        p = open(run.session);
        opened.set(key, p);
        p.catch(() => opened.delete(key));
      }
      return p as Promise<T>;
    };
    caches.set(run, cache);
  }
  return cache;
}
