// Gathers the facts of this run (day, commit, CPU, the peers' versions) and writes the benchmark
// document (docs/benchmarks.md for `npm run bench -- --report`).
import fs from 'node:fs/promises';
import type { ToolName } from './args.js';
import { toolVersions } from './install.js';
import { readCommit, readCpuFacts } from './machine.js';
import { formatBenchmarksDoc } from './markdown-report.js';
import type { Summary, TargetResult } from './report.js';

export interface ReportRun {
  projectDir: string;
  /** ISO time the run started. */
  startedAt: string;
  command: string;
  tools: ToolName[];
  imageBytes: number;
  rounds: number;
}

/** The version lines of the peers this run measured (restic, borg), by peer name. */
export function peerVersions(tools: ToolName[], versions: Record<string, string> = toolVersions()): Record<string, string> {
  const peers: Record<string, string> = {};
  for (const name of ['restic', 'borg']) {
    if (tools.some((t) => t.startsWith(name))) peers[name] = versions[name] ?? 'not installed';
  }
  return peers;
}

export async function writeBenchmarksReport(file: string, run: ReportRun, summaries: Summary[], targets: TargetResult[]): Promise<void> {
  const facts = {
    date: run.startedAt.slice(0, 10),
    commit: readCommit(run.projectDir),
    cpu: readCpuFacts(),
    peers: peerVersions(run.tools),
    command: run.command,
    imageBytes: run.imageBytes,
    rounds: run.rounds,
  };
  await fs.writeFile(file, formatBenchmarksDoc(facts, summaries, targets));
}
