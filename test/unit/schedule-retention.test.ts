// A schedule's retention touches only the projects it backed up, one group per project
// (src/schedule/retention.ts), with forget's policy code.
import { describe, expect, it } from 'vitest';
import { applyPolicy } from '../../src/repository/forget-policy.js';
import { projectGroups } from '../../src/schedule/retention.js';
import type { SnapshotInfo } from '../../src/repository/types.js';

const stats = { bytesRead: 0, bytesNew: 0, bytesStored: 0, chunksNew: 0, chunksReused: 0 };
function snap(id: string, time: string, type: string, projectId?: string): SnapshotInfo {
  return { id, time, hostname: 'h', type, tags: projectId ? { projectId } : {}, streams: [], stats };
}

describe('schedule retention groups', () => {
  const all = [
    snap('a1', '2026-12-01T02:00:00Z', 'project', 'A'),
    snap('a2', '2026-12-02T02:00:00Z', 'project', 'A'),
    snap('a3', '2026-12-03T02:00:00Z', 'project', 'A'),
    snap('b1', '2026-12-01T02:00:00Z', 'project', 'B'),
    snap('c1', '2026-12-01T02:00:00Z', 'project', 'C'),
    snap('f1', '2026-12-01T02:00:00Z', 'file'),
  ];

  it('groups per backed-up project and leaves other projects and file snapshots out', () => {
    const groups = projectGroups(all, ['A', 'B']);
    expect([...groups.keys()]).toEqual(['A', 'B']);
    expect(groups.get('A')!.map((s) => s.id)).toEqual(['a1', 'a2', 'a3']);
    expect(groups.get('B')!.map((s) => s.id)).toEqual(['b1']);
  });

  it('keep-last 2 removes only the oldest of the project with three, none of the others', () => {
    const removed = [...projectGroups(all, ['A', 'B']).values()].flatMap((list) => applyPolicy(list, { last: 2 }).remove.map((s) => s.id));
    expect(removed).toEqual(['a1']);
  });
});
