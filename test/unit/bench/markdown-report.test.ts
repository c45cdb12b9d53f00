// The benchmark report that becomes docs/benchmarks.md: its heading names the date, commit, CPU
// (with AVX-512 / SHA-NI) and peer versions; its tables hold the medians, ratios and targets.
import { describe, expect, it } from 'vitest';
import { cleanCpuModel, parseCpuInfo } from '../../bench/machine.js';
import { cpuFlagsPhrase, formatBenchmarksDoc, type RunFacts } from '../../bench/markdown-report.js';
import { evaluateTargets, type Summary } from '../../bench/report.js';

const MiB = 2 ** 20;

const CPUINFO = `processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Processor
flags\t\t: fpu sse2 avx2 avx512f avx512bw sha_ni aes
`;

function summary(tool: string, c: Summary['case'], wall: number, cpu: number, rss: number, storedMiB: number, extra: Partial<Summary> = {}): Summary {
  return { tool, case: c, rounds: 3, wallSeconds: wall, cpuSeconds: cpu, peakRssMiB: rss, storedBytes: storedMiB * MiB, ...extra };
}

const SUMMARIES: Summary[] = [
  summary('permafrost', 'full', 2.38, 4.05, 149, NaN),
  summary('restic', 'full', 7.15, 11.88, 109, NaN),
  summary('permafrost', 'incremental', 1.72, 2.6, 150, 39.2),
  summary('restic', 'incremental', 7.02, 11.8, NaN, 755.9),
  summary('permafrost', 'restore', 2.41, 3.68, 158, 0, { identical: true, allocatedBytes: 1229 * MiB, sourceAllocatedBytes: 1229 * MiB }),
  summary('restic', 'restore', 6.45, 10.22, 100, 0, { identical: true, allocatedBytes: 2048 * MiB, sourceAllocatedBytes: 1229 * MiB }),
];

const FACTS: RunFacts = {
  date: '2026-12-04',
  commit: 'e801c47',
  cpu: parseCpuInfo(CPUINFO, 2),
  peers: { restic: 'restic 0.14.0', borg: '1.2.4' },
  command: 'npm run bench -- --size 2G --rounds 3 --report',
  imageBytes: 2048 * MiB,
  rounds: 3,
};

describe('CPU facts', () => {
  it('reads the model without trademark noise and the AVX-512 / SHA-NI flags', () => {
    expect(FACTS.cpu).toEqual({ model: 'Intel Xeon', cpus: 2, avx512: true, shaNi: true });
    expect(parseCpuInfo('model name : AMD EPYC 7B13\nflags : sse2 avx2\n', 4)).toEqual({ model: 'AMD EPYC 7B13', cpus: 4, avx512: false, shaNi: false });
    expect(cleanCpuModel('Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz')).toBe('Intel Core i7-8650U @ 1.90GHz');
  });

  it('words the flags present and absent', () => {
    const cpu = FACTS.cpu;
    expect(cpuFlagsPhrase(cpu)).toBe('with AVX-512 and SHA-NI');
    expect(cpuFlagsPhrase({ ...cpu, avx512: false })).toBe('with SHA-NI, without AVX-512');
    expect(cpuFlagsPhrase({ ...cpu, avx512: false, shaNi: false })).toBe('without AVX-512 or SHA-NI');
  });
});

describe('docs/benchmarks.md', () => {
  const doc = formatBenchmarksDoc(FACTS, SUMMARIES, evaluateTargets(SUMMARIES, 819 * MiB, 2048 * MiB));
  const lines = doc.split('\n');

  it('heads the figures with date, commit, CPU and flags, and the peers with their versions', () => {
    expect(lines[0]).toBe('# Benchmarks');
    expect(lines).toContain('## 2026-12-04, commit e801c47, Intel Xeon with AVX-512 and SHA-NI');
    expect(lines).toContain('- CPU: Intel Xeon, 2 cores; AVX-512 yes, SHA-NI yes');
    expect(lines).toContain('- Peers: restic 0.14.0, borg 1.2.4');
    expect(lines).toContain('- Run: `npm run bench -- --size 2G --rounds 3 --report`: a 2048 MiB image, medians of 3 round(s)');
  });

  it('lists the medians, with a dash for a figure the run did not record', () => {
    expect(lines).toContain('| full | permafrost | 2.38 | 4.05 | 149 | – |  |');
    expect(lines).toContain('| incremental | restic | 7.02 | 11.80 | – | 755.9 |  |');
    expect(lines).toContain('| restore | permafrost | 2.41 | 3.68 | 158 |  | identical, 1229 MiB allocated |');
  });

  it('gives permafrost / peer ratios per case', () => {
    expect(lines).toContain('| full | restic | 0.33× | 0.34× | 1.37× | – |');
    expect(lines).toContain('| incremental | restic | 0.25× | 0.22× | – | 0.052× |');
    expect(lines).toContain('| restore | restic | 0.37× | 0.36× | 1.58× | – |');
  });

  it('lists every target with its result', () => {
    expect(lines).toContain("| full backup wall time ≤ 0.35 × restic's | 0.333× | PASS |");
    expect(lines).toContain("| restore wall time ≤ 0.6 × restic's | 0.374× | PASS |");
    expect(lines).toContain('| peak RSS ≤ 160 MiB in every case | 158 MiB (worst case) | PASS |');
    expect(doc.endsWith('\n')).toBe(true);
  });
});
