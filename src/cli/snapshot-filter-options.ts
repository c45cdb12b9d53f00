// The snapshot selection options shared by `snapshots` and `forget`: --project, --tag, --host, --type.
import type { Command } from 'commander';
import type { SnapshotFilter } from '../repository/snapshot-select.js';
import { collect } from './repo-access.js';

export interface SnapshotFilterCliOptions {
  project?: string[];
  tag?: string[];
  host?: string[];
  type?: string[];
}

export function addSnapshotFilterOptions(cmd: Command): Command {
  return cmd
    .option('--project <id|name>', 'only snapshots of this project (ID or name); repeatable', collect)
    .option('--tag <key[=value]>', 'only snapshots carrying this tag (any value without =VALUE); repeatable, all must match', collect)
    .option('--host <name>', 'only snapshots made on this host; repeatable', collect)
    .option('--type <type>', 'only snapshots of this type (project, file, ...); repeatable', collect);
}

export function filterFromOptions(opts: SnapshotFilterCliOptions): SnapshotFilter {
  return { projects: opts.project, tags: opts.tag, hosts: opts.host, types: opts.type };
}
