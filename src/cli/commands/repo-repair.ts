// `permafrost repo repair config|index|packs|snapshots|keys`: brings a damaged repository back to a
// state that `repo check --read-data` finds clean (docs/repair.md). Each takes the exclusive lock.
import type { Command } from 'commander';
import { repairIndex } from '../../repository/repair/repair-index.js';
import { repairKeys } from '../../repository/repair/repair-keys.js';
import { repairPacks } from '../../repository/repair/repair-packs.js';
import { repairSnapshots } from '../../repository/repair/repair-snapshots.js';
import type { PermafrostRepository } from '../../repository/repository.js';
import { UsageError } from '../../errors.js';
import { repairConfig } from '../../repository/repair/repair-config.js';
import { addRepoOptions, cliPassword, printJson, repoUrl, withRepo, type RepoCliOptions } from '../repo-access.js';

const short = (id: string): string => `${id.slice(0, 16)}…`;

type Repair<R> = { name: string; description: string; run: (repo: PermafrostRepository) => Promise<R>; print: (r: R) => string[] };

function addRepair<R>(parent: Command, r: Repair<R>): void {
  addRepoOptions(parent.command(r.name).description(r.description).option('--json', 'print the report as JSON')).action(async (opts: RepoCliOptions) => {
    await withRepo(opts, async (opened) => {
      opened.onWarning = () => undefined; // the repair reports what it finds
      const report = await r.run(opened);
      if (opts.json) printJson(report);
      else for (const line of r.print(report)) process.stdout.write(`${line}\n`);
    });
  });
}

function addRepairs(repair: Command): void {
  addRepair(repair, {
    name: 'index',
    description: 'rebuild missing or damaged pack index files from the packs themselves (their trailers)',
    run: repairIndex,
    print: (r) => [
      `${r.packs} packs: ${r.intact} index files intact, ${r.rebuilt.length} rebuilt from their packs`,
      ...r.orphanIndexes.map((p) => `moved the index of missing pack ${short(p)} to lost/ (its blobs are lost: run \`permafrost repo repair snapshots\`)`),
      ...r.unrecoverable.map((u) => `pack ${short(u.pack)} cannot be indexed: ${u.why} (\`permafrost prune\` removes it)`),
    ],
  });
  addRepair(repair, {
    name: 'packs',
    description: 'read every pack; copy the readable blobs of damaged or truncated packs into new packs and remove the damaged ones',
    run: (repo) => repairPacks(repo),
    print: (r) => [
      `read ${r.packsRead} packs; salvaged ${r.salvaged.length} damaged pack(s) into ${r.packsWritten} new pack(s)`,
      ...r.salvaged.map((s) => `pack ${short(s.pack)} (${s.why}): kept ${s.kept} blob(s), lost ${s.lost}`),
      ...r.unreadable.map((p) => `pack ${short(p)} has neither an index file nor a trailer: run \`permafrost repo repair index\`; \`permafrost prune\` removes it`),
      ...(r.salvaged.some((s) => s.lost > 0) ? ['blobs were lost: run `permafrost repo repair snapshots`'] : []),
    ],
  });
  addRepair(repair, {
    name: 'snapshots',
    description: 'remove from each snapshot what can no longer be restored (recorded in it), move unreadable snapshot files to lost/',
    run: repairSnapshots,
    print: (r) => [
      `${r.snapshots} snapshots: ${r.rewritten.length} rewritten, ${r.removed.length} moved to lost/snapshots/`,
      ...r.removed.map((x) => `snapshot ${x.snapshot.slice(0, 8)} removed: ${x.why}`),
      ...r.rewritten.flatMap((x) => [
        ...(x.keyReplaced ? [`snapshot ${x.snapshot.slice(0, 8)}: damaged data key replaced by an intact copy`] : []),
        ...x.lost.map((l) => `snapshot ${x.snapshot.slice(0, 8)}: ${l.kind} "${l.name}" removed (${l.reason})`),
      ]),
    ],
  });
  addRepair(repair, {
    name: 'keys',
    description: 'move damaged key slots to lost/keys/ and rewrite a damaged keys/recipients',
    run: repairKeys,
    print: (r) => [
      ...r.slotsRemoved.map((s) => `moved damaged key slot ${s.key} to lost/ (${s.reason})`),
      ...(r.recipientsRewritten ? ['rewrote keys/recipients with the reader key'] : []),
      ...r.publicKeysToAddAgain.map((id) => `public key slot ${id.slice(0, 8)}: add its key again with \`permafrost repo key add --public-key FILE\` to make it a recipient`),
      ...(r.slotsRemoved.length === 0 && !r.recipientsRewritten ? ['key slots and recipients are intact'] : []),
    ],
  });
}

export function registerRepair(repo: Command): void {
  const repair = repo.command('repair').description('repair a damaged repository (see `repo check`; docs/repair.md)');
  // The config is read before any key: its repair cannot open the repository the usual way.
  addRepoOptions(repair.command('config').description('write a new config when it is damaged or missing (the password proves the repository)').option('--json', 'print the result as JSON')).action(
    async (opts: RepoCliOptions) => {
      const password = await cliPassword(opts);
      if (password === undefined) throw new UsageError('repo repair config needs the repository password: set PERMAFROST_PASSWORD or use --password-file FILE');
      const report = await repairConfig(repoUrl(opts), password);
      if (opts.json) printJson(report);
      else process.stdout.write(report.rewritten ? `wrote a new config (fixed chunk size ${report.config.fixedChunkSize} bytes); the damaged one is in lost/config\n` : 'the config is intact: nothing was written\n');
    },
  );
  addRepairs(repair);
}
