// The options that describe a schedule's run (`schedule add` and `schedule exec`), and turning
// them into a ScheduleSpec, and back into the argument list of `schedule exec` for systemd/cron.
import path from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { RetentionPolicy } from '../../repository/forget-policy.js';
import { checkCron, DEFAULT_TZ } from '../../schedule/cron.js';
import { checkRetention, checkScheduleName, type ScheduleSpec } from '../../schedule/spec.js';
import { addKeepOptions, keepArguments, keepPolicy, type KeepCliOptions } from '../keep-options.js';
import { collect } from '../repo-access.js';

export interface SpecCliOptions extends KeepCliOptions {
  cron?: string;
  tz?: string;
  osCloud?: string;
  osRegionName?: string;
  osInterface?: 'public' | 'internal' | 'admin';
  repo?: string;
  project?: string[];
  allProjects?: boolean;
  services?: string;
  prune?: boolean;
}

export function addSpecOptions(cmd: Command, withCron: boolean): Command {
  if (withCron) {
    cmd.requiredOption('--cron <pattern>', 'when to run: a five-field cron pattern, e.g. "0 2 * * *"').option('--tz <zone>', 'time zone of the cron pattern (IANA name)', DEFAULT_TZ);
  }
  cmd
    .addOption(new Option('--os-cloud <name>', 'cloud from the clouds.yaml of the worker (default: $OS_CLOUD)'))
    .addOption(new Option('--os-region-name <region>', 'region to use'))
    .addOption(new Option('--os-interface <interface>', 'endpoint interface').choices(['public', 'internal', 'admin']))
    .option('-r, --repo <url>', 'repository the runs write to (env PERMAFROST_REPOSITORY); the password comes from the worker\'s environment')
    .addOption(new Option('--project <name|id>', "project to back up; repeatable (default: the cloud's project)").argParser(collect))
    .addOption(new Option('--all-projects', 'back up every project of the cloud (admin)').conflicts('project'))
    .option('--services <list>', 'comma-separated services to back up (default: all)');
  return addKeepOptions(cmd).option('--prune', 'after forget, prune the repository to free the space');
}

/** A local repository path is made absolute: the worker runs in another directory. */
function absoluteRepo(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : path.resolve(url);
}

export function specFromOptions(name: string, opts: SpecCliOptions): ScheduleSpec {
  const repo = opts.repo ?? process.env.PERMAFROST_REPOSITORY;
  if (!repo) throw new UsageError('no repository given: use --repo URL or set PERMAFROST_REPOSITORY');
  const retention = keepPolicy(opts);
  const tz = opts.tz ?? DEFAULT_TZ;
  const osCloud = opts.osCloud ?? process.env.OS_CLOUD;
  return {
    name: checkScheduleName(name),
    cron: opts.cron === undefined ? '-' : checkCron(opts.cron, tz),
    tz,
    cloud: { ...(osCloud ? { osCloud } : {}), ...(opts.osRegionName ? { osRegionName: opts.osRegionName } : {}), ...(opts.osInterface ? { osInterface: opts.osInterface } : {}) },
    repo: absoluteRepo(repo),
    projects: opts.project ?? [],
    allProjects: Boolean(opts.allProjects),
    ...(opts.services ? { services: opts.services.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    retention: JSON.parse(JSON.stringify(checkRetention(retention))) as RetentionPolicy,
    prune: Boolean(opts.prune),
    createdAt: new Date().toISOString(),
  };
}

/** `schedule exec NAME …` arguments that run `spec` (for a systemd service or a crontab line). */
export function execArguments(spec: ScheduleSpec): string[] {
  const args = ['schedule', 'exec', spec.name, '--repo', spec.repo];
  if (spec.cloud.osCloud) args.push('--os-cloud', spec.cloud.osCloud);
  if (spec.cloud.osRegionName) args.push('--os-region-name', spec.cloud.osRegionName);
  if (spec.cloud.osInterface) args.push('--os-interface', spec.cloud.osInterface);
  if (spec.allProjects) args.push('--all-projects');
  for (const p of spec.projects) args.push('--project', p);
  if (spec.services) args.push('--services', spec.services.join(','));
  args.push(...keepArguments(spec.retention));
  if (spec.prune) args.push('--prune');
  return args;
}
