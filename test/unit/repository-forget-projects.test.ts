import { describe, expect, it } from 'vitest';
import { applyPolicy } from '../../src/repository/forget-policy.js';
import { emptiedProjects, planForget, planJson } from '../../src/repository/forget-plan.js';
import { filterSnapshots, groupKey, groupSnapshots } from '../../src/repository/snapshot-select.js';
import type { SnapshotInfo } from '../../src/repository/types.js';
import { PermafrostError, UsageError } from '../../src/errors.js';

const stats = { bytesRead: 0, bytesNew: 0, bytesStored: 0, chunksNew: 0, chunksReused: 0 };
let n = 0;
function snap(day: number, tags: Record<string, string>, extra: Partial<SnapshotInfo> = {}): SnapshotInfo {
  n++;
  return { id: `${String(n).padStart(4, '0')}${'0'.repeat(60)}`, time: new Date(Date.UTC(2026, 0, day, 2)).toISOString(), hostname: 'h1', type: 'project', tags, streams: [], stats, ...extra };
}
const A = { projectId: 'pa', projectName: 'alpha', cloud: 'c1' };
const B = { projectId: 'pb', projectName: 'beta', cloud: 'c1' };
const B2 = { projectId: 'pb', projectName: 'beta', cloud: 'c2' };
// three projects without data streams (the old default grouped all of them together), one of them gains a volume
const list: SnapshotInfo[] = [
  snap(1, A), snap(2, A), snap(3, A, { streams: ['volume/v1'] }),
  snap(1, B), snap(2, B, { hostname: 'h2' }),
  snap(1, B2), snap(3, B2, { tags: { ...B2, keep: 'forever' } }),
  snap(2, {}, { type: 'file', streams: ['a.txt'] }),
];

describe('forget: grouping of project snapshots', () => {
  it('groups project snapshots by cloud + project by default, whatever their streams or host', () => {
    const groups = groupSnapshots(list, 'auto');
    expect([...groups.keys()].sort()).toEqual([
      'type=file host=h1 streams=a.txt',
      'type=project cloud=c1 project=pa (alpha)',
      'type=project cloud=c1 project=pb (beta)',
      'type=project cloud=c2 project=pb (beta)',
    ]);
    expect(groups.get('type=project cloud=c1 project=pa (alpha)')!.length).toBe(3);
  });

  it('keeps the old fields and accepts project and cloud in --group-by', () => {
    expect(groupKey(list[2], 'type,host,streams')).toBe('type=project host=h1 streams=volume/v1');
    expect(groupKey(list[3], 'project')).toBe('project=pb (beta)');
    expect(groupKey(list[5], 'cloud,tag:projectName')).toBe('cloud=c2 tag:projectName=beta');
    expect(groupSnapshots(list, 'project').size).toBe(3); // pa, pb (both clouds), none (the file)
    expect(() => groupSnapshots(list, 'type,colour')).toThrow(/unknown field "colour"/);
  });

  it('keep-last 1 leaves exactly one snapshot per project (the newest)', () => {
    const plan = planForget(list, { policy: { last: 1 }, filter: { types: ['project'] }, groupBy: 'auto', allowEmpty: false });
    const kept = plan.groups.flatMap((g) => g.keep.map((k) => `${k.snapshot.tags.cloud}/${k.snapshot.tags.projectId}@${k.snapshot.time.slice(8, 10)}`));
    expect(kept.sort()).toEqual(['c1/pa@03', 'c1/pb@02', 'c2/pb@03']);
    expect(plan.remove.length).toBe(4);
  });
});

describe('forget and snapshots: filters', () => {
  it('filters by project (ID or name), tag, host and type', () => {
    expect(filterSnapshots(list, { projects: ['alpha'] }).length).toBe(3);
    expect(filterSnapshots(list, { projects: ['pb'] }).length).toBe(4);
    expect(filterSnapshots(list, { projects: ['pb'], tags: ['cloud=c2'] }).length).toBe(2);
    expect(filterSnapshots(list, { tags: ['keep'] }).map((s) => s.time.slice(8, 10))).toEqual(['03']);
    expect(filterSnapshots(list, { hosts: ['h2'] }).length).toBe(1);
    expect(filterSnapshots(list, { types: ['file'] }).length).toBe(1);
    expect(filterSnapshots(list, {}).length).toBe(list.length);
    expect(() => filterSnapshots(list, { tags: ['=x'] })).toThrow(UsageError);
  });

  it('a forget limited by a filter leaves the other snapshots alone', () => {
    const plan = planForget(list, { policy: { last: 1 }, filter: { projects: ['alpha'] }, groupBy: 'auto', allowEmpty: false });
    expect(plan.groups.length).toBe(1);
    expect(plan.remove.every((s) => s.tags.projectId === 'pa')).toBe(true);
  });
});

describe('forget: --keep-tag, --allow-empty, reasons', () => {
  it('keep-tag keeps every snapshot carrying the tag, with or without a value', () => {
    const d = applyPolicy(list.slice(5, 7), { tags: ['keep=forever'] });
    expect(d.keep.map((k) => k.reasons)).toEqual([['tag keep=forever']]);
    expect(applyPolicy(list.slice(5, 7), { tags: ['keep'] }).keep.length).toBe(1);
    expect(applyPolicy(list.slice(5, 7), { tags: ['keep=never'] }).keep.length).toBe(0);
  });

  it('refuses to remove the last snapshot of a project unless --allow-empty', () => {
    const req = { policy: { tags: ['keep'] }, filter: {}, groupBy: 'auto', allowEmpty: false };
    let err: unknown;
    try {
      planForget(list, req);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PermafrostError);
    expect((err as PermafrostError).message).toMatch(/last snapshot of projects c1\/pa, c1\/pb.*--allow-empty/);
    const allowed = planForget(list, { ...req, allowEmpty: true });
    expect(allowed.emptied).toEqual(['c1/pa', 'c1/pb']);
    expect(allowed.remove.length).toBe(list.length - 1);
  });

  it('counts snapshots outside the selection: removing the tagged ones of a project that has others is allowed', () => {
    const removed = new Set([list[0].id, list[1].id]);
    expect(emptiedProjects(list, removed)).toEqual([]);
    expect(emptiedProjects(list, new Set([list[3].id, list[4].id]))).toEqual(['c1/pb']);
  });

  it('the dry-run document says per group what is kept, by which rule, and what is removed', () => {
    const plan = planForget(list, { policy: { last: 1, daily: 2 }, filter: { projects: ['alpha'] }, groupBy: 'auto', allowEmpty: false });
    const doc = planJson(plan, true) as unknown as { dryRun: boolean; removed: number; groups: { group: string; keep: { reasons: string[] }[]; remove: { reasons: string[] }[] }[] };
    expect(doc.dryRun).toBe(true);
    expect(doc.groups[0].group).toBe('type=project cloud=c1 project=pa (alpha)');
    expect(doc.groups[0].keep.map((k) => k.reasons)).toEqual([['last', 'daily 2026-01-03'], ['daily 2026-01-02']]);
    expect(doc.groups[0].remove).toEqual([expect.objectContaining({ reasons: ['no rule keeps it'] })]);
    expect(doc.removed).toBe(1);
  });
});
