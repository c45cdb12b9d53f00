// Writes docs/benchmarks.md (`npm run bench -- --report`): the figures of one run, headed by what
// they depend on (date, commit, CPU and its SHA-256/AVX-512 support, the peers' versions), so the
// document always shows the current figures and history stays in git.
import { RESTORE_CASES } from './round.js';
import { peerRatios, type Summary, type TargetResult } from './report.js';
import type { CpuFacts } from './machine.js';

const MiB = 2 ** 20;

export interface RunFacts {
  /** Day of the run, YYYY-MM-DD (UTC). */
  date: string;
  commit: string;
  cpu: CpuFacts;
  /** Version line of each peer, e.g. { restic: 'restic 0.14.0', borg: 'borg 1.2.4' }. */
  peers: Record<string, string>;
  command: string;
  imageBytes: number;
  rounds: number;
}

/** A measured figure, or a dash where the run did not record it (NaN or undefined). */
function fig(x: number | undefined, digits: number, suffix = ''): string {
  return x === undefined || !Number.isFinite(x) ? '–' : `${x.toFixed(digits)}${suffix}`;
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

/** "with AVX-512 and SHA-NI", "with SHA-NI, without AVX-512", "without AVX-512 or SHA-NI". */
export function cpuFlagsPhrase(cpu: CpuFacts): string {
  const has = [cpu.avx512 && 'AVX-512', cpu.shaNi && 'SHA-NI'].filter(Boolean);
  const lacks = [!cpu.avx512 && 'AVX-512', !cpu.shaNi && 'SHA-NI'].filter(Boolean);
  if (!lacks.length) return `with ${has.join(' and ')}`;
  if (!has.length) return `without ${lacks.join(' or ')}`;
  return `with ${has[0]}, without ${lacks[0]}`;
}

function medianRows(summaries: Summary[]): string[][] {
  return summaries.map((s) => {
    const restore = RESTORE_CASES.includes(s.case);
    const allocated = Number.isFinite(s.allocatedBytes) ? `, ${fig((s.allocatedBytes ?? 0) / MiB, 0)} MiB allocated` : '';
    const note = restore && s.identical !== undefined ? `${s.identical ? 'identical' : 'DIFFERS'}${allocated}` : '';
    return [s.case, s.tool, fig(s.wallSeconds, 2), fig(s.cpuSeconds, 2), fig(s.peakRssMiB, 0), restore ? '' : fig(s.storedBytes / MiB, 1), note];
  });
}

/** The whole of docs/benchmarks.md for one run. */
export function formatBenchmarksDoc(facts: RunFacts, summaries: Summary[], targets: TargetResult[]): string {
  const peers = Object.entries(facts.peers).map(([name, version]) => (version.startsWith(name) ? version : `${name} ${version}`));
  const ratioRows = peerRatios(summaries).map((r) => [r.case, r.peer, fig(r.wall, 2, '×'), fig(r.cpu, 2, '×'), fig(r.rss, 2, '×'), fig(r.stored, 3, '×')]);
  const lines = [
    '# Benchmarks',
    '',
    'permafrost against restic and borg on one deterministic VM-disk workload, every tool measured in',
    'the same run on the same machine ([how the benchmark works](testing.md#benchmark)). This page is',
    'written by `npm run bench -- --report` and holds the figures of the latest such run only.',
    '',
    `## ${facts.date}, commit ${facts.commit}, ${facts.cpu.model} ${cpuFlagsPhrase(facts.cpu)}`,
    '',
    `- CPU: ${facts.cpu.model}, ${facts.cpu.cpus} cores; AVX-512 ${facts.cpu.avx512 ? 'yes' : 'no'}, SHA-NI ${facts.cpu.shaNi ? 'yes' : 'no'}`,
    `- Peers: ${peers.join(', ') || 'none'}`,
    `- Run: \`${facts.command}\`: a ${fig(facts.imageBytes / MiB, 0)} MiB image, medians of ${facts.rounds} round(s)`,
    '',
    '### Medians',
    '',
    ...table(['case', 'tool', 'wall s', 'CPU s', 'peak RSS MiB', 'stored MiB', 'restore output'], medianRows(summaries)),
    '',
    '### permafrost relative to each peer (lower is better)',
    '',
    ...table(['case', 'peer', 'wall', 'CPU', 'peak RSS', 'stored'], ratioRows),
    '',
    '### Targets',
    '',
    ...table(['target', 'measured', 'result'], targets.map((t) => [t.target, t.measured, t.pass ? 'PASS' : 'FAIL'])),
    '',
  ];
  return lines.join('\n');
}
