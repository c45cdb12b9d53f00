// The benchmark workload must be deterministic and shaped as the issue describes.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureWorkload, planWorkload } from '../../bench/workload.js';

const MiB = 1024 * 1024;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

describe('benchmark workload', () => {
  it('plans ≈40 % zeros, 30 % incompressible, 30 % text and 1 % changed blocks, the same for the same seed', () => {
    const size = 2048 * MiB;
    const a = planWorkload('seed', size);
    expect(planWorkload('seed', size)).toEqual(a);
    expect(planWorkload('other', size).extents).not.toEqual(a.extents);
    expect(a.extents.reduce((s, e) => s + e.length, 0)).toBe(size);
    const share = (k: string): number => a.extents.filter((e) => e.kind === k).reduce((s, e) => s + e.length, 0) / size;
    expect(share('zero')).toBeGreaterThan(0.3);
    expect(share('zero')).toBeLessThan(0.5);
    expect(share('random')).toBeGreaterThan(0.2);
    expect(share('text')).toBeGreaterThan(0.2);
    expect(a.day2Blocks.length).toBe(Math.round(size / 4096 / 100));
    expect(new Set(a.day2Blocks).size).toBe(a.day2Blocks.length);
    expect(a.day2Region.length).toBe(16 * MiB);
  });

  it('writes day 1 sparse, day 2 with exactly the planned changes, and the insertion copy shifted by 1 KiB', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pf-bench-'));
    dirs.push(dir);
    const w = await ensureWorkload(dir, 'unit', 64 * MiB, () => undefined);
    const [d1, d2, ins] = await Promise.all([fs.readFile(w.day1), fs.readFile(w.day2), fs.readFile(w.insert)]);
    const plan = planWorkload('unit', 64 * MiB);
    // Zero extents read as zeros; data extents do not.
    for (const e of plan.extents.slice(0, 20)) {
      const slice = d1.subarray(e.offset, e.offset + e.length);
      expect(slice.every((b) => b === 0)).toBe(e.kind === 'zero');
    }
    const st = await fs.stat(w.day1);
    expect(st.blocks * 512).toBeLessThan(64 * MiB - w.bytesByKind.zero * 0.9);
    // Day 2 differs only in the planned 4 KiB blocks and region.
    const changed = new Set(plan.day2Blocks);
    const r = plan.day2Region;
    for (let b = 0; b < (64 * MiB) / 4096; b++) {
      const inRegion = b * 4096 >= r.offset && b * 4096 < r.offset + r.length;
      const same = d1.subarray(b * 4096, (b + 1) * 4096).equals(d2.subarray(b * 4096, (b + 1) * 4096));
      if (!changed.has(b) && !inRegion) expect(same).toBe(true);
    }
    // The insertion copy is day 1 with 1 KiB put in at insertAt.
    expect(ins.length).toBe(d1.length + 1024);
    expect(ins.subarray(0, plan.insertAt).equals(d1.subarray(0, plan.insertAt))).toBe(true);
    expect(ins.subarray(plan.insertAt + 1024).equals(d1.subarray(plan.insertAt))).toBe(true);
    expect(w.sha256.day1).toBe(createHash('sha256').update(d1).digest('hex'));
    // A second call reuses the files.
    const again = await ensureWorkload(dir, 'unit', 64 * MiB, () => undefined);
    expect(again.sha256).toEqual(w.sha256);
  });
});
