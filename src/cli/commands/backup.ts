// `permafrost backup`: exports every resource of a project — metadata and data — into one
// repository snapshot per project (see src/backup/ and docs/backup.md).
import { Option, type Command } from 'commander';
import { addCloudOptions, sessionFromOptions, type CloudCommandOptions } from '../../openstack/connect.js';
import { selectServiceModules } from '../../../services/registry.js';
import { addRepoOptions, openFromCli, type RepoCliOptions } from '../repo-access.js';
import { listAllProjects } from '../../inventory/resolve-project.js';
import { parseExclude } from '../../backup/exclude.js';
import { parseUserTags } from '../../backup/tags.js';
import { chooseReporter, JsonLinesReporter } from '../../backup/reporters.js';
import { interruptOnSignals } from '../../backup/interrupt.js';
import { runBackup } from '../../backup/run-backup.js';
import { backupReportText } from '../../backup/report-text.js';
import { UsageError } from '../../errors.js';
import { jsonEventsOption } from '../common-options.js';
import { reportDocumentStream } from '../report-document.js';

function parseSnapshotTime(value: string): string {
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) throw new UsageError(`--time "${value}" is not an ISO-8601 time like 2026-01-31T02:00:00Z`);
  return new Date(t).toISOString();
}

interface BackupOptions extends CloudCommandOptions, RepoCliOptions {
  project?: string;
  allProjects?: boolean;
  services?: string;
  exclude?: string[];
  tag?: string[];
  snapshotData?: boolean;
  time?: string;
  jsonEvents?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command): void {
  const cmd = program
    .command('backup')
    .description('back up every resource of a project (metadata and data) into the repository: one snapshot per project')
    .addOption(new Option('--project <name|id>', "project to back up (default: the cloud's project); another project needs a role on it or the admin role"))
    .addOption(new Option('--all-projects', 'back up every project of the cloud, one snapshot each (admin)').conflicts('project'))
    .addOption(new Option('--services <list>', 'comma-separated services to back up (default: all): identity,networks,images,volumes,compute,objects'))
    .addOption(new Option('--exclude <kind:name>', 'leave out a resource and its data (NAME or ID, * as wildcard); repeatable').argParser(collect))
    .addOption(new Option('--tag <key=value>', 'label the snapshot; repeatable').argParser(collect))
    .addOption(new Option('--time <iso-8601>', 'record this time as the snapshot time instead of now (e.g. 2026-01-31T02:00:00Z)').argParser(parseSnapshotTime))
    .addOption(new Option('--snapshot-data', "also export every volume snapshot's data (volume from snapshot → upload-to-image → download), stream volume_snapshot/<id>"))
    .addOption(new Option('--json', 'print the report as one JSON document on stdout (no progress)'))
    .addOption(jsonEventsOption());
  addRepoOptions(cmd, { writeOnly: true });
  addCloudOptions(cmd).action(async (_opts: BackupOptions, command: Command) => {
    process.exitCode = await runBackupCommand(command.optsWithGlobals<BackupOptions>());
  });
}

async function runBackupCommand(opts: BackupOptions): Promise<number> {
  // validate everything the user typed before touching the cloud or the repository
  const excludes = (opts.exclude ?? []).map(parseExclude);
  const userTags = parseUserTags(opts.tag ?? []);
  const names = opts.services?.split(',').map((s) => s.trim()).filter(Boolean);
  const modules = await selectServiceModules(names);
  const session = await sessionFromOptions(opts);
  try {
    const targets = opts.allProjects ? (await listAllProjects(session)).map((p) => p.id) : [opts.project];
    const repository = await openFromCli(opts);
    const reporter = opts.json ? new JsonLinesReporter(reportDocumentStream()) : chooseReporter({ json: Boolean(opts.jsonEvents) });
    const interrupt = interruptOnSignals();
    try {
      const result = await runBackup({ base: session, targets, repository, modules, excludes, userTags, reporter, signal: interrupt.signal, ...(opts.time ? { snapshotTime: opts.time } : {}), exportOptions: { snapshotData: Boolean(opts.snapshotData) } });
      reporter.close();
      if (reporter instanceof JsonLinesReporter) reporter.write({ event: 'report', exitCode: result.exitCode, projects: result.projects });
      else process.stdout.write(backupReportText(result));
      return result.exitCode;
    } finally {
      reporter.close();
      interrupt.dispose();
      await repository.close();
    }
  } finally {
    await session.close();
  }
}
