// One benchmark round for one tool: full backup (day 1), incremental (day 2), full restore of the
// day-2 snapshot with a sha256 check, and the insertion case (a fresh repository holding day 1,
// then the image with 1 KiB inserted, both with the tool's content-defined chunking), whose
// snapshot is restored too (restore-cdc: the read path with variable-size chunks).
import fs from 'node:fs/promises';
import path from 'node:path';
import { measure, run, treeBytes, type Measurement } from './measure.js';
import { STAGED_NAME, type BenchTool } from './tools.js';
import { sha256File, warmFile, warmTree, type WorkloadFiles } from './workload.js';

export type CaseName = 'full' | 'incremental' | 'restore' | 'insertion' | 'restore-cdc';

/** Cases that restore a snapshot (checked for identical output and holes). */
export const RESTORE_CASES: readonly CaseName[] = ['restore', 'restore-cdc'];

export interface CaseResult extends Measurement {
  tool: string;
  case: CaseName;
  round: number;
  /** Bytes the repository grew by (backups) — 0 for restores. */
  storedBytes: number;
  /** Restore only: output identical to the source image. */
  identical?: boolean;
  /** Restore only: bytes allocated on disk for the output (st_blocks × 512). */
  allocatedBytes?: number;
  /** Restore only: bytes allocated by the source image itself (its zero extents are holes). */
  sourceAllocatedBytes?: number;
}

/** Points `<stage>/disk.img` at one of the workload images (a hard link: no copy). */
async function stage(dir: string, image: string): Promise<void> {
  const link = path.join(dir, STAGED_NAME);
  await fs.rm(link, { force: true });
  await fs.link(image, link);
}

async function findFile(dir: string, name: string): Promise<string | undefined> {
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name === name) return path.join(e.parentPath, e.name);
  }
  return undefined;
}

export async function runRound(
  tool: BenchTool,
  w: WorkloadFiles,
  round: number,
  workDir: string,
  log: (m: string) => void,
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const base = path.join(workDir, 'runs', `${tool.name}-r${round}`);
  await fs.rm(base, { recursive: true, force: true });
  const stageDir = path.join(base, 'stage');
  await fs.mkdir(stageDir, { recursive: true });

  const backup = async (repo: string, label: string, image: string, cdc: boolean, name: CaseName | undefined): Promise<void> => {
    await stage(stageDir, image);
    const before = await treeBytes(repo);
    await warmFile(image); // every tool reads its input from the page cache (see warmFile)
    const m = await measure(tool.backup(repo, stageDir, label, cdc));
    const storedBytes = (await treeBytes(repo)) - before;
    const { output: _o, ...metrics } = m;
    if (name) results.push({ tool: tool.name, case: name, round, ...metrics, storedBytes });
    log(`  ${tool.name} r${round} ${name ?? label}: ${m.wallSeconds.toFixed(1)} s wall, ${m.cpuSeconds.toFixed(1)} s CPU, ${m.peakRssMiB.toFixed(0)} MiB RSS, +${(storedBytes / 2 ** 20).toFixed(1)} MiB stored`);
  };

  // Full, incremental and restore share one repository.
  const repo = path.join(base, 'repo');
  await run(tool.init(repo));
  await backup(repo, 'day1', w.day1, false, 'full');
  if (tool.cases.includes('incremental')) await backup(repo, 'day2', w.day2, false, 'incremental');
  const restore = async (repoDir: string, label: string, source: string, sha256: string, name: CaseName): Promise<void> => {
    const outDir = path.join(base, 'restore');
    await fs.mkdir(outDir, { recursive: true });
    const { cmd } = tool.restore(repoDir, stageDir, label, outDir);
    // Like the backups' inputs, the repository is read from the page cache by every tool alike,
    // whether the tool's own writes left it there or not (permafrost writes packs with O_DIRECT).
    await warmTree(repoDir);
    const m = await measure(cmd);
    const file = await findFile(outDir, STAGED_NAME);
    if (!file) throw new Error(`${tool.name} restore produced no ${STAGED_NAME} under ${outDir}`);
    const st = await fs.stat(file);
    const src = await fs.stat(source);
    const identical = st.size === src.size && (await sha256File(file)) === sha256;
    const sourceAllocatedBytes = src.blocks * 512;
    const { output: _o, ...metrics } = m;
    results.push({ tool: tool.name, case: name, round, ...metrics, storedBytes: 0, identical, allocatedBytes: st.blocks * 512, sourceAllocatedBytes });
    log(`  ${tool.name} r${round} ${name}: ${m.wallSeconds.toFixed(1)} s wall, ${m.peakRssMiB.toFixed(0)} MiB RSS, identical=${identical}, allocated ${(st.blocks * 512 / 2 ** 20).toFixed(0)} MiB of ${(st.size / 2 ** 20).toFixed(0)} MiB`);
    await fs.rm(outDir, { recursive: true, force: true });
  };

  if (tool.cases.includes('restore')) await restore(repo, 'day2', w.day2, w.sha256.day2, 'restore');
  await fs.rm(repo, { recursive: true, force: true });

  if (tool.cases.includes('insertion')) {
    // A fresh repository holding day 1 cut with content-defined chunking, then the shifted image.
    const cdcRepo = path.join(base, 'repo-cdc');
    await run(tool.init(cdcRepo));
    await backup(cdcRepo, 'base', w.day1, true, undefined);
    await backup(cdcRepo, 'insert', w.insert, true, 'insertion');
    if (tool.cases.includes('restore')) await restore(cdcRepo, 'insert', w.insert, w.sha256.insert, 'restore-cdc');
    await fs.rm(cdcRepo, { recursive: true, force: true });
  }
  await fs.rm(base, { recursive: true, force: true });
  return results;
}
