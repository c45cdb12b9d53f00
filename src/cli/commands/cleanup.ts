// `permafrost cleanup`: deletes every permafrost temporary (snapshot, volume, image) that a
// crashed or killed backup left in a project. Temporaries of a backup still running are left
// alone: on any host when --repo names the repository it writes to (its run lock's heartbeat),
// else only on this host. Every backup runs the same sweep first.
import { Option, type Command } from 'commander';
import { addCloudOptions, sessionFromOptions, type CloudCommandOptions } from '../../openstack/connect.js';
import { ExitCode } from '../../errors.js';
import { resolveProject } from '../../inventory/resolve-project.js';
import { findTemporaries, sweepTemporaries } from '../../backup/sweep.js';
import { addRepoOptions, openFromCli, type RepoCliOptions } from '../repo-access.js';
import { repositoryFromEnv } from '../common-options.js';
import type { PermafrostRepository } from '../../repository/repository.js';

interface CleanupOptions extends CloudCommandOptions, RepoCliOptions {
  project?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('cleanup')
    .description('delete temporary snapshots, volumes and images left in a project by an interrupted or crashed backup')
    .addOption(new Option('--project <name|id>', "project to clean (default: the cloud's project)"))
    .addOption(new Option('--dry-run', 'only list what would be deleted'))
    .addOption(new Option('--json', 'print the result as JSON'));
  addRepoOptions(cmd, { writeOnly: true, optional: true });
  addCloudOptions(cmd).action(async (_opts: CleanupOptions, command: Command) => {
    process.exitCode = await runCleanup(command.optsWithGlobals<CleanupOptions>());
  });
}

async function runCleanup(opts: CleanupOptions): Promise<number> {
  const base = await sessionFromOptions(opts);
  try {
    const target = await resolveProject(base, opts.project);
    try {
      // temporaries live where the backup's token was scoped: the project itself, or for an
      // admin without a role there, the admin's own project
      const where = target.session.project!.id;
      if (opts.dryRun) {
        const found = await findTemporaries(target.session, where);
        if (opts.json) process.stdout.write(`${JSON.stringify({ found }, null, 2)}\n`);
        else if (found.length === 0) process.stdout.write('no permafrost temporary resources found\n');
        else for (const t of found) process.stdout.write(`would delete ${t.kind} ${t.name} (${t.id}) of backup ${t.backupId}\n`);
        return ExitCode.ok;
      }
      const res = await sweepWithRepository(opts, (liveRuns) => sweepTemporaries(target.session, where, { settleMs: 10_000, ...(liveRuns ? { liveRuns } : {}) }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ deleted: res.deleted, inUse: res.inUse, failures: res.failures }, null, 2)}\n`);
      } else {
        for (const t of res.deleted) process.stdout.write(`deleted ${t.kind} ${t.name} (${t.id})\n`);
        for (const t of res.inUse) process.stdout.write(`kept ${t.kind} ${t.name} (${t.id}): its backup is still running\n`);
        for (const f of res.failures) process.stdout.write(`FAILED to delete ${f.resource.kind} ${f.resource.name} (${f.resource.id}): ${f.error}\n`);
        process.stdout.write(`cleanup: ${res.deleted.length} deleted, ${res.inUse.length} in use, ${res.failures.length} failed\n`);
      }
      return res.failures.length > 0 ? ExitCode.partial : ExitCode.ok;
    } finally {
      if (target.ownsSession) await target.session.close();
    }
  } finally {
    await base.close();
  }
}

/** Runs the sweep with the repository's run locks when one is named (env or --repo). */
async function sweepWithRepository<T>(opts: CleanupOptions, sweep: (liveRuns?: () => Promise<Set<string>>) => Promise<T>): Promise<T> {
  if (!opts.repo && !repositoryFromEnv()) {
    process.stderr.write('permafrost: no --repo given: only backups running on this host are recognised as alive; name the repository the backups write to so that runs on other hosts are too\n');
    return sweep();
  }
  const repo: PermafrostRepository = await openFromCli(opts);
  try {
    return await sweep(() => repo.liveRuns());
  } finally {
    await repo.close();
  }
}
