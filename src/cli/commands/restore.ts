// `permafrost restore`: plan a restore (review, edit), apply it (resumable, --rollback), verify
// it later; or all in one (`restore SNAPSHOT … --yes`). See docs/restore.md and
// docs/restore-plans.md.
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import { selectServiceModules } from '../../../services/registry.js';
import { mergeMappingRules, parseMapArgs, parseMappingFile, renderPlan, serializePlan, type Plan } from '../../../restore-plans/index.js';
import { interruptOnSignals } from '../../backup/interrupt.js';
import { ExitCode, PermafrostError, UsageError } from '../../errors.js';
import { addCloudOptions, sessionFromOptions, type CloudCommandOptions } from '../../openstack/connect.js';
import { addRepoOptions, openFromCli, type RepoCliOptions } from '../repo-access.js';
import { REPOSITORY_ENV, jsonEventsOption, repositoryFromEnv } from '../common-options.js';
import { reportDocumentStream } from '../report-document.js';
import { openState, readPlanFile, runApply, runRollback, runVerify, type ApplyRunResult } from '../../restore/apply-restore.js';
import { writeFileAtomic } from '../../restore/state-file.js';
import type { FidelityResult } from '../../restore/fidelity-report.js';
import { fidelityText } from '../../restore/fidelity-text.js';
import { planRestore } from '../../restore/plan-restore.js';
import { chooseRestoreReporter, JsonLinesRestoreReporter } from '../../restore/reporters.js';
import { readFileSync } from 'node:fs';

type RepoOptions = RepoCliOptions;

interface PlanCliOptions extends CloudCommandOptions, RepoOptions {
  project?: string;
  createProject?: boolean;
  map?: string[];
  mappingFile?: string;
  only?: string[];
  mode?: 'create' | 'in-place';
  overwrite?: boolean;
  output?: string;
  json?: boolean;
  verbose?: boolean;
}

interface ApplyCliOptions extends CloudCommandOptions, RepoOptions {
  rollback?: boolean;
  json?: boolean;
  jsonEvents?: boolean;
  parallel?: string;
  verify?: boolean;
  dataCheck?: boolean;
  keepMarkers?: boolean;
  verbose?: boolean;
  yes?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function addPlanOptions(cmd: Command): Command {
  addCloudOptions(cmd);
  addRepoOptions(cmd);
  return cmd
    .option('--project <name>', 'target project (default: the snapshot\'s project with --mode in-place, else the project of --os-cloud)')
    .option('--create-project', 'create the target project if it does not exist (admin)')
    .option('--map <KIND:FROM=TO>', 'map a flavor, network, volume type, AZ, image, user… of the snapshot to one of the target (repeatable)', collect)
    .option('--mapping-file <file>', 'YAML or JSON file of mappings ({flavor: {m1.tiny: m1.small}, network: {public: ext-net}})')
    .option('--only <KIND:NAME>', 'restore only this resource and what it depends on (repeatable), e.g. server:web-1, volume:data, container:logs', collect)
    .addOption(new Option('--mode <mode>', 'create: into a new or another project; in-place: into the original project').choices(['create', 'in-place']).default('create'))
    .option('--overwrite', 'in place: overwrite existing resources (rebuild servers, replace volumes, replace objects, update fields) instead of skipping them')
    .option('-o, --output <file>', 'where to write the plan file (default: restore-plan-<restore id>.json)')
    .option('--verbose', 'show informational notes and reasons in the plan')
    .option('--json', 'print the plan as JSON on stdout');
}

async function readMappings(opts: PlanCliOptions) {
  const fromArgs = parseMapArgs(opts.map ?? []);
  if (!opts.mappingFile) return fromArgs;
  let text: string;
  try {
    text = readFileSync(opts.mappingFile, 'utf8');
  } catch (err) {
    throw new PermafrostError(`cannot read the mapping file ${opts.mappingFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, ExitCode.config);
  }
  return mergeMappingRules(parseMappingFile(text, opts.mappingFile), fromArgs);
}

function requireRepo(repo: string | undefined): string {
  if (!repo) throw new UsageError(`no repository: pass --repo URL or set ${REPOSITORY_ENV}`);
  return repo;
}

/** Plans, writes the plan file (and starts its state file with the repository), prints the plan. */
async function planCommand(snapshot: string, opts: PlanCliOptions): Promise<{ plan: Plan; file: string }> {
  const repoUrl = requireRepo(opts.repo ?? repositoryFromEnv());
  const mappings = await readMappings(opts);
  const modules = await selectServiceModules();
  const session = await sessionFromOptions(opts);
  try {
    const repository = await openFromCli({ ...opts, repo: repoUrl });
    try {
      const plan = await planRestore({
        repository,
        snapshot,
        session,
        ...(opts.project ? { project: opts.project } : {}),
        createProject: Boolean(opts.createProject),
        mappings,
        only: opts.only ?? [],
        mode: opts.mode ?? 'create',
        overwrite: opts.overwrite ? 'overwrite' : 'skip',
        modules,
      });
      const file = opts.output ?? `restore-plan-${plan.id}.json`;
      writeFileAtomic(file, serializePlan(plan));
      const store = openState(file, plan, repoUrl);
      await store.update(() => undefined);
      if (opts.json) process.stdout.write(serializePlan(plan));
      else process.stdout.write(`${renderPlan(plan, { verbose: Boolean(opts.verbose) })}\nplan written to ${file}\n`);
      return { plan, file };
    } finally {
      await repository.close();
    }
  } finally {
    await session.close();
  }
}

function preflightExit(plan: Plan): void {
  if (!plan.preflight.ok) {
    throw new PermafrostError(
      `restore preflight failed, nothing was changed (${plan.preflight.errors.length} problem${plan.preflight.errors.length === 1 ? '' : 's'}):\n` +
        plan.preflight.errors.map((e) => `  - ${e.message}${e.hint ? `\n    → ${e.hint}` : ''}`).join('\n'),
      ExitCode.preflight,
    );
  }
}

/** Applies (or rolls back, or verifies) a plan file. */
async function applyCommand(file: string, opts: ApplyCliOptions, what: 'apply' | 'rollback' | 'verify'): Promise<number> {
  const plan = readPlanFile(file);
  if (what === 'apply') preflightExit(plan);
  const store = openState(file, plan, opts.repo ?? repositoryFromEnv());
  const repoUrl = requireRepo(opts.repo ?? repositoryFromEnv() ?? store.state.repository);
  const modules = await selectServiceModules();
  const session = await sessionFromOptions({ ...opts, osCloud: opts.osCloud ?? plan.target.cloud });
  const repository = await openFromCli({ ...opts, repo: repoUrl });
  const reporter = opts.json ? new JsonLinesRestoreReporter(reportDocumentStream()) : chooseRestoreReporter({ json: Boolean(opts.jsonEvents) });
  const interrupt = interruptOnSignals();
  try {
    const common = { plan, store, session, repository, modules, reporter, signal: interrupt.signal };
    if (what === 'rollback') {
      const result = await runRollback(common);
      reporter.close();
      if (reporter instanceof JsonLinesRestoreReporter) reporter.write({ event: 'report', exitCode: result.exitCode, deleted: result.deleted, failed: result.failed });
      return result.exitCode;
    }
    if (what === 'verify') {
      const { fidelity, exitCode } = await runVerify({ ...common, checkData: opts.dataCheck !== false });
      reporter.close();
      printFidelity(reporter, fidelity, exitCode, Boolean(opts.verbose));
      return exitCode;
    }
    const parallelism = opts.parallel ? Number(opts.parallel) : undefined;
    if (parallelism !== undefined && (!Number.isInteger(parallelism) || parallelism < 1)) throw new UsageError(`--parallel wants a positive integer, not "${opts.parallel}"`);
    const result: ApplyRunResult = await runApply({ ...common, ...(parallelism ? { parallelism } : {}), verify: opts.verify !== false, checkData: opts.dataCheck !== false, keepMarkers: Boolean(opts.keepMarkers) });
    reporter.close();
    if (result.fidelity) printFidelity(reporter, result.fidelity, result.exitCode, Boolean(opts.verbose), result);
    else if (reporter instanceof JsonLinesRestoreReporter) reporter.write({ event: 'report', exitCode: result.exitCode, apply: result.apply });
    if (result.apply.failed.length > 0 || result.apply.blocked.length > 0) {
      process.stderr.write(`permafrost: ${result.apply.failed.length} step(s) failed, ${result.apply.blocked.length} blocked: fix the cause and run "permafrost restore apply ${file}" again (done steps are not repeated), or undo with --rollback\n`);
    }
    return result.exitCode;
  } finally {
    reporter.close();
    interrupt.dispose();
    await repository.close();
    await session.close();
  }
}

function printFidelity(reporter: unknown, fidelity: FidelityResult, exitCode: number, verbose: boolean, result?: ApplyRunResult): void {
  if (reporter instanceof JsonLinesRestoreReporter) reporter.write({ event: 'report', exitCode, ...(result ? { apply: result.apply } : {}), fidelity });
  else process.stdout.write(fidelityText(fidelity, { verbose }));
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new UsageError('cannot ask for confirmation: stdin is not a terminal; review the plan and pass --yes');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function register(program: Command): void {
  const restore = program
    .command('restore')
    .description('restore a project snapshot: plan (review, edit), apply, verify — or all at once with "restore SNAPSHOT"')
    .argument('[snapshot]', 'snapshot ID, unique prefix or "latest" (plan, confirm, apply in one go)');
  addPlanOptions(restore)
    .option('--yes', 'apply without asking')
    .option('--parallel <n>', 'steps in flight at once within a wave (default 4)')
    .option('--no-verify', 'skip the fidelity report after apply')
    .option('--no-data-check', 'fidelity report without reading the data back from the cloud')
    .option('--keep-markers', "leave permafrost's restore markers (pf-restore:/pf-src: tags, permafrost_* metadata) on the restored resources")
    .action(async (snapshot: string | undefined, _opts: unknown, command: Command) => {
      if (!snapshot) throw new UsageError('restore needs a snapshot ("latest", an ID or a prefix) or one of plan, apply, verify');
      const opts = command.optsWithGlobals<PlanCliOptions & ApplyCliOptions>();
      const { plan, file } = await planCommand(snapshot, { ...opts, json: false });
      preflightExit(plan);
      if (!opts.yes && !(await confirm(`apply this plan to ${plan.target.cloud}/${plan.target.project.name}? [y/N] `))) {
        process.stderr.write(`nothing was changed; the plan is in ${file} (apply it later with "permafrost restore apply ${file}")\n`);
        process.exitCode = ExitCode.ok;
        return;
      }
      process.exitCode = await applyCommand(file, { ...opts, osCloud: opts.osCloud }, 'apply');
    });

  addPlanOptions(restore.command('plan').description('plan a restore: print it and write the plan file; changes nothing').argument('<snapshot>', 'snapshot ID, unique prefix or "latest"')).action(
    async (snapshot: string, _opts: unknown, command: Command) => {
      const { plan } = await planCommand(snapshot, command.optsWithGlobals<PlanCliOptions>());
      if (!plan.preflight.ok) {
        process.stderr.write(`permafrost: restore preflight failed (${plan.preflight.errors.length} problem(s), see the plan above); nothing was changed\n`);
        process.exitCode = ExitCode.preflight;
      }
    },
  );

  const apply = restore
    .command('apply')
    .description('apply a plan file (resumable: run it again after a failure or crash; --rollback undoes it)')
    .argument('<plan>', 'plan file written by "restore plan"')
    .option('--rollback', 'delete everything this restore created, newest first')
    .option('--parallel <n>', 'steps in flight at once within a wave (default 4)')
    .option('--no-verify', 'skip the fidelity report after apply')
    .option('--no-data-check', 'fidelity report without reading the data back from the cloud')
    .option('--keep-markers', "leave permafrost's restore markers (pf-restore:/pf-src: tags, permafrost_* metadata) on the restored resources")
    .option('--verbose', 'list identical resources and mapped fields in the report')
    .option('--json', 'print the report as one JSON document on stdout (no progress)')
    .addOption(jsonEventsOption());
  addRepoOptions(apply);
  addCloudOptions(apply).action(async (file: string, _opts: unknown, command: Command) => {
    const opts = command.optsWithGlobals<ApplyCliOptions>();
    process.exitCode = await applyCommand(file, opts, opts.rollback ? 'rollback' : 'apply');
  });

  const verify = restore
    .command('verify')
    .description('compare what a plan restored with the snapshot again (fields and data hashes)')
    .argument('<plan>', 'plan file of an applied restore')
    .option('--no-data-check', 'compare fields only')
    .option('--verbose', 'list identical resources and mapped fields')
    .option('--json', 'print the report as one JSON document on stdout')
    .addOption(jsonEventsOption());
  addRepoOptions(verify);
  addCloudOptions(verify).action(async (file: string, _opts: unknown, command: Command) => {
    if (!existsSync(file)) throw new PermafrostError(`no plan file ${file}`, ExitCode.notFound);
    process.exitCode = await applyCommand(file, command.optsWithGlobals<ApplyCliOptions>(), 'verify');
  });
}
