// `npm run bench -- --report` writes the benchmark document headed by this machine's real facts.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCpuFacts } from '../../bench/machine.js';
import { cpuFlagsPhrase } from '../../bench/markdown-report.js';
import { evaluateTargets, type Summary } from '../../bench/report.js';
import { peerVersions, writeBenchmarksReport } from '../../bench/write-report.js';

const MiB = 2 ** 20;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

const summaries: Summary[] = [
  { tool: 'permafrost', case: 'full', rounds: 1, wallSeconds: 2, cpuSeconds: 3, peakRssMiB: 150, storedBytes: 100 * MiB },
  { tool: 'restic', case: 'full', rounds: 1, wallSeconds: 6, cpuSeconds: 9, peakRssMiB: 100, storedBytes: 110 * MiB },
];

describe('benchmark report file', () => {
  it('names only the peers the run measured, with their version lines', () => {
    const versions = { node: 'v20.19.0', restic: 'restic 0.14.0 compiled with go1.19', borg: 'borg 1.2.4' };
    expect(peerVersions(['permafrost', 'restic'], versions)).toEqual({ restic: 'restic 0.14.0 compiled with go1.19' });
    expect(peerVersions(['permafrost', 'borg-lz4', 'borg-zstd'], versions)).toEqual({ borg: 'borg 1.2.4' });
    expect(peerVersions(['permafrost'], versions)).toEqual({});
  });

  it('writes the figures under the date, the checked-out commit and this CPU', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pf-bench-report-'));
    dirs.push(dir);
    const file = path.join(dir, 'benchmarks.md');
    const projectDir = path.resolve(import.meta.dirname, '..', '..', '..');
    const run = { projectDir, startedAt: '2026-12-05T01:02:03.000Z', command: 'npm run bench -- --report', tools: ['permafrost' as const], imageBytes: 64 * MiB, rounds: 1 };
    await writeBenchmarksReport(file, run, summaries, evaluateTargets(summaries, 0, 64 * MiB));
    const doc = await fs.readFile(file, 'utf8');
    const head = execFileSync('git', ['rev-parse', '--short=7', 'HEAD'], { cwd: projectDir, encoding: 'utf8' }).trim();
    const cpu = readCpuFacts();
    const heading = doc.split('\n').find((l) => l.startsWith('## '));
    expect(heading).toMatch(new RegExp(`^## 2026-12-05, commit ${head}(\\+changes)?, `));
    expect(heading?.endsWith(`${cpu.model} ${cpuFlagsPhrase(cpu)}`)).toBe(true);
    expect(doc).toContain('- Peers: none');
    expect(doc).toContain('| full | permafrost | 2.00 | 3.00 | 150 | 100.0 |  |');
    expect(doc).toContain('| full | restic | 0.33× | 0.33× | 1.50× | 0.909× |');
  });
});
