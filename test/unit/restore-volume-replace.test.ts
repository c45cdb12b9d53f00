// Pure decisions of a volume's in-place replace that must survive a SIGKILL (src/restore/volume-replace.ts).
import { describe, expect, it } from 'vitest';
import { afterAttach, beforeDetach, RESTART_META_KEY, restartKeysOf, restartListOf, restartMetadata } from '../../src/restore/volume-replace.js';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('restart list in the replacement volume metadata', () => {
  it('is empty for no servers', () => {
    expect(restartMetadata([])).toEqual({});
    expect(restartListOf({})).toEqual([]);
    expect(restartListOf(undefined)).toEqual([]);
  });

  it('round-trips one server in one key', () => {
    const meta = restartMetadata([id(1)]);
    expect(meta).toEqual({ [RESTART_META_KEY]: id(1) });
    expect(restartListOf(meta)).toEqual([id(1)]);
  });

  it('keeps every value within Cinder limit of 255 characters, and round-trips many servers in order without duplicates', () => {
    const ids = Array.from({ length: 14 }, (_, i) => id(i));
    const meta = restartMetadata([...ids, id(3)]);
    expect(Object.keys(meta)).toEqual([RESTART_META_KEY, `${RESTART_META_KEY}_2`, `${RESTART_META_KEY}_3`]);
    for (const value of Object.values(meta)) expect(value.length).toBeLessThanOrEqual(255);
    expect(restartListOf(meta)).toEqual(ids);
  });

  it('ignores the user metadata and the restore marker beside it', () => {
    const meta = { purpose: 'data', permafrost_restore_id: 'r-1', permafrost_source_id: 'v-1', ...restartMetadata([id(7)]), permafrost_restore_restarter: 'x' };
    expect(restartListOf(meta)).toEqual([id(7)]);
    expect(restartKeysOf(meta)).toEqual([RESTART_META_KEY]);
  });

  it('reads what a killed run wrote merged with what the resumed run adds', () => {
    const first = restartMetadata([id(1)]);
    const merged = { ...first, ...restartMetadata([...restartListOf(first), id(2)]) };
    expect(restartListOf(merged)).toEqual([id(1), id(2)]);
  });
});

describe('server decisions around the detach and the attach', () => {
  it('stops a running server, waits for one a killed run is stopping, leaves a stopped one', () => {
    expect(beforeDetach({ status: 'ACTIVE', 'OS-EXT-STS:task_state': null })).toBe('stop');
    expect(beforeDetach({ status: 'ACTIVE' })).toBe('stop');
    expect(beforeDetach({ status: 'ACTIVE', 'OS-EXT-STS:task_state': 'powering-off' })).toBe('wait');
    expect(beforeDetach({ status: 'SHUTOFF', 'OS-EXT-STS:task_state': null })).toBe('none');
  });

  it('starts a stopped server, waits for one being started, leaves a running one', () => {
    expect(afterAttach({ status: 'SHUTOFF', 'OS-EXT-STS:task_state': null })).toBe('start');
    expect(afterAttach({ status: 'SHUTOFF', 'OS-EXT-STS:task_state': 'powering-on' })).toBe('wait');
    expect(afterAttach({ status: 'ACTIVE', 'OS-EXT-STS:task_state': null })).toBe('none');
  });
});
