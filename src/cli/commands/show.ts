// `permafrost show SNAPSHOT [--kind K] [--json]`: what a project snapshot holds — every resource
// with its status and data streams, as a tree, or as JSON (`{"resources": [{kind, id, name, …}]}`).
import { Option, type Command } from 'commander';
import { isResourceKind, RESOURCE_KINDS } from '../../model/kinds.js';
import { ExitCode, PermafrostError, UsageError } from '../../errors.js';
import { MANIFEST_DOCUMENT, type BackupManifest } from '../../backup/manifest.js';
import { PROJECT_SNAPSHOT_TYPE } from '../../backup/parent.js';
import { renderTree } from '../../backup/render-tree.js';
import { addRepoOptions, printJson, withRepo, type RepoCliOptions } from '../repo-access.js';

interface ShowOptions extends RepoCliOptions {
  kind?: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

export function register(program: Command): void {
  const cmd = program
    .command('show')
    .argument('<snapshot>', 'snapshot ID, unique prefix, or "latest"')
    .description('show the resources of a project snapshot as a tree (or JSON)')
    .addOption(new Option('--kind <kind>', `only these kinds (repeatable or comma-separated): ${RESOURCE_KINDS.join(', ')}`).argParser(collect))
    .option('--json', 'print {"snapshot", "project", "resources": [{kind, id, name, ...}]}');
  addRepoOptions(cmd).action(async (snapshotArg: string, opts: ShowOptions) => {
    const kinds = opts.kind ?? [];
    const unknown = kinds.filter((k) => !isResourceKind(k));
    if (unknown.length > 0) throw new UsageError(`--kind ${unknown.join(', ')}: unknown kind; known kinds: ${RESOURCE_KINDS.join(', ')}`);
    await withRepo(opts, async (repo) => {
      const info = await repo.getSnapshot(snapshotArg);
      if (info.type !== PROJECT_SNAPSHOT_TYPE) {
        throw new PermafrostError(
          `snapshot ${info.id.slice(0, 12)} is a "${info.type}" snapshot, not a project backup; read its streams with "permafrost restore-file ${info.id.slice(0, 12)}:NAME"`,
          ExitCode.notFound,
        );
      }
      const manifest = await repo.readDocument<BackupManifest>(info.id, MANIFEST_DOCUMENT);
      const resources = kinds.length > 0 ? manifest.resources.filter((r) => kinds.includes(r.kind)) : manifest.resources;
      if (opts.json) {
        printJson({
          snapshot: { id: info.id, time: info.time, tags: info.tags, stats: info.stats, parent: info.parent },
          project: manifest.project,
          cloud: manifest.cloud,
          region: manifest.region,
          backupId: manifest.backupId,
          services: manifest.services,
          skippedKinds: manifest.skippedKinds,
          failedKinds: manifest.failedKinds,
          resources,
        });
        return;
      }
      process.stdout.write(renderTree(info, manifest, kinds));
    });
  });
}
