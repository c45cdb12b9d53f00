// Pure decisions of a volume's in-place `replace` (services/volumes/restore.ts) that must hold
// across a SIGKILL: which servers the replace stopped (so that a resumed run starts exactly those
// again), and what to do with a server found in a given state. The stopped servers are written
// into the replacement volume's metadata before the first stop: the replacement carries the
// restore marker and is found again by a resumed run, so the list survives the process.

/** Metadata key (and prefix of its continuations) that lists the servers a replace stopped. */
export const RESTART_META_KEY = 'permafrost_restore_restart';
/** Server IDs per metadata value: Cinder values are at most 255 characters (6 × 36 + 5 commas). */
const IDS_PER_VALUE = 6;

const isRestartKey = (key: string) => key === RESTART_META_KEY || /^permafrost_restore_restart_\d+$/.test(key);

/** The metadata keys that record `serverIds` (none for an empty list). */
export function restartMetadata(serverIds: readonly string[]): Record<string, string> {
  const ids = [...new Set(serverIds)];
  const out: Record<string, string> = {};
  for (let i = 0; i * IDS_PER_VALUE < ids.length; i++) {
    out[i === 0 ? RESTART_META_KEY : `${RESTART_META_KEY}_${i + 1}`] = ids.slice(i * IDS_PER_VALUE, (i + 1) * IDS_PER_VALUE).join(',');
  }
  return out;
}

/** The servers a (killed) replace recorded as stopped by it, from the replacement's metadata. */
export function restartListOf(metadata: Record<string, unknown> | undefined): string[] {
  const ids: string[] = [];
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (!isRestartKey(key) || typeof value !== 'string') continue;
    for (const id of value.split(',')) if (id.trim() !== '' && !ids.includes(id.trim())) ids.push(id.trim());
  }
  return ids;
}

/** The restart keys present in `metadata` (to be removed once the servers run again). */
export function restartKeysOf(metadata: Record<string, unknown> | undefined): string[] {
  return Object.keys(metadata ?? {}).filter(isRestartKey);
}

export interface ServerState {
  status: string;
  'OS-EXT-STS:task_state'?: string | null;
}

/**
 * What to do with a server before its volume is detached: `wait` while a task runs on it (a
 * killed run's stop still powering off: another stop would be refused with 409), `stop` a running
 * one, nothing for one that is off.
 */
export function beforeDetach(server: ServerState): 'wait' | 'stop' | 'none' {
  if (server['OS-EXT-STS:task_state']) return 'wait';
  return server.status === 'ACTIVE' ? 'stop' : 'none';
}

/** What to do with a server the replace stopped, once its volume is attached: `wait` for a running task, `start` it when off, nothing when it runs. */
export function afterAttach(server: ServerState): 'wait' | 'start' | 'none' {
  if (server['OS-EXT-STS:task_state']) return 'wait';
  return server.status === 'SHUTOFF' ? 'start' : 'none';
}
