// Command-line options of `npm run bench` (test/bench/run.ts).
import path from 'node:path';
import { parseArgs } from 'node:util';

export const TOOL_NAMES = ['permafrost', 'restic', 'borg-zstd', 'borg-lz4'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

export interface BenchArgs {
  rounds: number;
  /** Image size in bytes. */
  size: number;
  dir: string;
  seed: string;
  tools: ToolName[];
  /** Path of the JSON result file. */
  out: string;
  installMissing: boolean;
  /** Also rewrite docs/benchmarks.md with this run's figures. */
  report: boolean;
}

const USAGE = `usage: npm run bench -- [--rounds N] [--size 2G] [--dir DIR] [--seed S] [--tools permafrost,restic,borg-zstd,borg-lz4] [--out FILE] [--no-install]
  --rounds N    rounds per tool and case; the report uses medians (default 3)
  --size SIZE   size of the disk image: 256M, 1G, 2G (default 2G; at least 64M)
  --dir DIR     work folder for the workload, repositories and results (default $BENCH_DIR or .bench/)
  --seed S      workload seed (default permafrost-bench-v1)
  --tools LIST  tools to run (default all)
  --out FILE    JSON result file (default DIR/results/bench-<time>.json)
  --no-install  do not apt-get install missing restic / borgbackup / time
  --report      rewrite docs/benchmarks.md with this run's figures (only when every run succeeded)`;

export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B)?$/i.exec(text.trim());
  if (!m) throw new Error(`--size "${text}" is not a size (e.g. 256M, 2G)`);
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  const bytes = Math.round((Number(m[1]) * unit) / 4096) * 4096;
  if (bytes < 64 * 1024 ** 2) throw new Error('--size must be at least 64M');
  return bytes;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '3' },
      size: { type: 'string', default: '2G' },
      dir: { type: 'string' },
      seed: { type: 'string', default: 'permafrost-bench-v1' },
      tools: { type: 'string', default: TOOL_NAMES.join(',') },
      out: { type: 'string' },
      'no-install': { type: 'boolean', default: false },
      report: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error('--rounds must be an integer from 1 to 20');
  const tools = values.tools.split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of tools) {
    if (!(TOOL_NAMES as readonly string[]).includes(t)) throw new Error(`unknown tool "${t}" (known: ${TOOL_NAMES.join(', ')})`);
  }
  const dir = path.resolve(values.dir ?? process.env.BENCH_DIR ?? '.bench');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    rounds,
    size: parseSize(values.size),
    dir,
    seed: values.seed,
    tools: tools as ToolName[],
    out: path.resolve(values.out ?? path.join(dir, 'results', `bench-${stamp}.json`)),
    installMissing: !values['no-install'],
    report: values.report,
  };
}
