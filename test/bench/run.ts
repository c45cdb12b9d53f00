// `npm run bench`: permafrost against restic and borg on one deterministic VM-disk workload, in
// the same run, on the same machine. See docs/testing.md (Benchmark); `--report` writes docs/benchmarks.md.
//
// Page cache: dropping it needs root and disturbs everything else on the machine, so instead every
// input image is read (hashed) right before each round and is warm for every tool alike; the
// repositories and restore outputs are written to the same disk for every tool.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs } from './args.js';
import { ensurePeers, toolVersions } from './install.js';
import { measure } from './measure.js';
import { evaluateTargets, formatRatios, formatTable, formatTargets, summarise, type Summary, type TargetResult } from './report.js';
import { runRound, type CaseResult } from './round.js';
import { makeTools } from './tools.js';
import { writeBenchmarksReport } from './write-report.js';
import { ensureWorkload, sha256File } from './workload.js';

const log = (m: string): void => console.log(m);

/**
 * Compiles permafrost into the bench folder and returns a launcher for that copy, so that a
 * rebuild of dist/ by someone else during a long run cannot change the program being measured.
 * Outside the project folder node_modules would not resolve: then the project's bin is used.
 */
function buildPermafrost(projectDir: string, benchDir: string): string {
  const inside = !path.relative(projectDir, benchDir).startsWith('..');
  const outDir = inside ? path.join(benchDir, 'build', 'dist') : path.join(projectDir, 'dist');
  log(`bench: compiling permafrost into ${outDir}`);
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json', '--outDir', outDir], { cwd: projectDir, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    // tsc still emits JavaScript when some file has type errors; the run then fails loudly if
    // the CLI itself is broken.
    log('bench: warning: tsc reported errors (output emitted anyway)');
  }
  if (!inside) return path.join(projectDir, 'bin', 'permafrost.js');
  const launcher = path.join(benchDir, 'build', 'permafrost.mjs');
  writeFileSync(launcher, "const { main } = await import('./dist/src/cli/main.js');\nawait main(process.argv);\n");
  return launcher;
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = os.loadavg();
  ensurePeers(
    { restic: args.tools.includes('restic'), borg: args.tools.some((t) => t.startsWith('borg')) },
    args.installMissing,
    log,
  );
  const cli = args.tools.includes('permafrost') ? buildPermafrost(projectDir, args.dir) : path.join(projectDir, 'bin', 'permafrost.js');

  const workload = await ensureWorkload(path.join(args.dir, 'workload'), args.seed, args.size, log);
  const k = workload.bytesByKind;
  log(
    `workload: ${(args.size / 2 ** 20).toFixed(0)} MiB image: ${((100 * k.zero) / args.size).toFixed(1)} % zeros, ` +
      `${((100 * k.random) / args.size).toFixed(1)} % incompressible, ${((100 * k.text) / args.size).toFixed(1)} % log text; ` +
      `day 2 changes ${(workload.day2ChangedBytes / 2 ** 20).toFixed(1)} MiB`,
  );

  const cacheDir = path.join(args.dir, 'cache');
  const tools = makeTools(cli, cacheDir);
  const selected = args.tools.map((t) => tools[t]);

  // Warm-up: start every tool once (binaries, node modules and Python bytecode into the cache).
  for (const t of selected) {
    const argv = t.name === 'permafrost' ? ['node', cli, '--version'] : t.name === 'restic' ? ['restic', 'version'] : ['borg', '--version'];
    await measure({ argv }).catch((e: Error) => log(`warm-up of ${t.name} failed: ${e.message}`));
  }

  const results: CaseResult[] = [];
  const failures: string[] = [];
  for (let round = 1; round <= args.rounds; round++) {
    log(`round ${round}/${args.rounds}: reading the inputs into the page cache`);
    for (const f of [workload.day1, workload.day2, workload.insert]) await sha256File(f);
    // Rotate the order so that no tool always runs first (or last) in a round.
    const order = selected.map((_, i) => selected[(i + round - 1) % selected.length]);
    for (const tool of order) {
      try {
        results.push(...(await runRound(tool, workload, round, args.dir, log)));
      } catch (err) {
        const msg = `${tool.name} round ${round}: ${(err as Error).message}`;
        failures.push(msg);
        log(`FAILED ${msg}`);
      }
    }
    await fs.rm(cacheDir, { recursive: true, force: true });
    if (round < args.rounds) {
      const { summaries } = await writeResults(round);
      log(`after round ${round}:\n${formatTable(summaries, args.size)}`);
    }
  }

  const { summaries, targets } = await writeResults(args.rounds);
  log(`\nmedians of ${args.rounds} round(s); ${command}`);
  log(`load average at start ${loadAverageAtStart.map((x) => x.toFixed(1)).join(' ')}, at end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} (${os.cpus().length} CPUs)\n`);
  log(formatTable(summaries, args.size));
  log(`\n${formatRatios(summaries)}\n`);
  log(`targets (issue 3):\n${formatTargets(targets)}`);
  if (failures.length) log(`\nfailed runs:\n${failures.join('\n')}`);
  log(`\nresults: ${args.out}`);
  if (failures.length) process.exitCode = 1;
  if (args.report) await writeReport(summaries, targets);

  /** Rewrites docs/benchmarks.md, unless a run failed (its figures would be incomplete). */
  async function writeReport(summaries: Summary[], targets: TargetResult[]): Promise<void> {
    if (failures.length) {
      log('bench: docs/benchmarks.md left as it was: some runs failed');
      return;
    }
    const file = path.join(projectDir, 'docs', 'benchmarks.md');
    const run = { projectDir, startedAt, command, tools: args.tools, imageBytes: args.size, rounds: args.rounds };
    await writeBenchmarksReport(file, run, summaries, targets);
    log(`report: ${file}`);
  }

  /** Writes the JSON result for the rounds done so far (also after every round: a long run that is stopped keeps its data). */
  async function writeResults(roundsDone: number) {
    const summaries = summarise(results);
    const targets = evaluateTargets(summaries, workload.bytesByKind.zero, args.size);
    const doc = {
      command,
      startedAt,
      finishedAt: new Date().toISOString(),
      complete: roundsDone === args.rounds,
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), loadAverageAtStart, loadAverageNow: os.loadavg() },
      versions: toolVersions(),
      settings: Object.fromEntries(selected.map((t) => [t.name, t.settings])),
      workload: { seed: args.seed, size: args.size, bytesByKind: workload.bytesByKind, day2ChangedBytes: workload.day2ChangedBytes, plan: workload.plan, sha256: workload.sha256 },
      rounds: roundsDone,
      results,
      medians: summaries,
      targets,
      failures,
    };
    await fs.mkdir(path.dirname(args.out), { recursive: true });
    await fs.writeFile(args.out, JSON.stringify(doc, null, 2));
    return { summaries, targets };
  }
}

main().catch((err: unknown) => {
  console.error(`bench: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
