// `permafrost snapshots`: lists the snapshots of a repository.
import type { Command } from 'commander';
import { filterSnapshots } from '../../repository/snapshot-select.js';
import { addRepoOptions, formatBytes, printJson, withRepo, type RepoCliOptions } from '../repo-access.js';
import { addSnapshotFilterOptions, filterFromOptions, type SnapshotFilterCliOptions } from '../snapshot-filter-options.js';

export function register(program: Command): void {
  const cmd = addSnapshotFilterOptions(program.command('snapshots').description('list snapshots, oldest first').option('--json', 'print as one JSON document'));
  addRepoOptions(cmd).action(async (opts: RepoCliOptions & SnapshotFilterCliOptions) => {
    await withRepo(opts, async (repo) => {
      const list = filterSnapshots(await repo.listSnapshots(), filterFromOptions(opts));
      if (opts.json) return printJson(list);
      if (list.length === 0) {
        process.stdout.write('no snapshots\n');
        return;
      }
      process.stdout.write(`${'ID'.padEnd(10)}${'Time'.padEnd(22)}${'Host'.padEnd(16)}${'Type'.padEnd(10)}${'Size'.padStart(11)}  Streams / tags\n`);
      // a project snapshot has one stream per image, volume, disk and object: count them
      for (const s of list) {
        const tags = Object.entries(s.tags).map(([k, v]) => `${k}=${v}`).join(' ');
        process.stdout.write(
          `${s.id.slice(0, 8).padEnd(10)}${s.time.slice(0, 19).replace('T', ' ').padEnd(22)}${s.hostname.slice(0, 15).padEnd(16)}${s.type.padEnd(10)}` +
            `${formatBytes(s.stats.bytesRead).padStart(11)}  ${s.type === 'project' ? `${s.streams.length} streams` : s.streams.join(', ')}${tags ? `  [${tags}]` : ''}\n`,
        );
      }
    });
  });
}
