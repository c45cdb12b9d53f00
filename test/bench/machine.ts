// The facts that head a benchmark report: which CPU (and whether it has the instructions the
// native hasher and SHA-256 use), which commit was measured, and when.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface CpuFacts {
  /** The model name with trademark noise removed, e.g. "Intel Xeon". */
  model: string;
  cpus: number;
  avx512: boolean;
  shaNi: boolean;
}

/** "Intel(R) Xeon(R) Processor @ 2.10GHz" → "Intel Xeon @ 2.10GHz". */
export function cleanCpuModel(raw: string): string {
  return raw
    .replace(/\((R|TM|C)\)/gi, '')
    .replace(/\b(CPU|Processor)\b/gi, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Reads the model and the flags from the text of /proc/cpuinfo. */
export function parseCpuInfo(cpuinfo: string, cpus: number): CpuFacts {
  const field = (name: string): string => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(cpuinfo)?.[1] ?? '';
  const flags = new Set(field('flags').split(/\s+/));
  return { model: cleanCpuModel(field('model name')) || 'unknown CPU', cpus, avx512: flags.has('avx512f'), shaNi: flags.has('sha_ni') };
}

export function readCpuFacts(): CpuFacts {
  let text = '';
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // Not Linux: the model still comes from Node; the flags are reported absent.
    text = `model name : ${os.cpus()[0]?.model ?? ''}\n`;
  }
  return parseCpuInfo(text, os.cpus().length);
}

/** The short hash of the checked-out commit, with "+changes" when the work tree differs from it. */
export function readCommit(projectDir: string): string {
  try {
    const git = (args: string[]): string => execFileSync('git', args, { cwd: projectDir, encoding: 'utf8' }).trim();
    const hash = git(['rev-parse', '--short=7', 'HEAD']);
    return git(['status', '--porcelain', '--untracked-files=no']) ? `${hash}+changes` : hash;
  } catch {
    return 'unknown commit';
  }
}
