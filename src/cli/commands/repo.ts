// `permafrost repo …`: init, key add/remove/list, check, repair (repo-repair.ts), unlock.
import type { Command } from 'commander';
import { ThroughputMeter, progressMode } from '../../../streams/throughput-meter.js';
import { ExitCode, PermafrostError, UsageError } from '../../errors.js';
import { openBackend } from '../../repository/backends/index.js';
import { checkRepository } from '../../repository/check.js';
import { initRepository, readPasswordFile } from '../../repository/index.js';
import { addPassphrase, addPublicKey, listKeySlots, removeKeySlot } from '../../repository/key-admin.js';
import { unlock } from '../../repository/locks.js';
import { registerRepair } from './repo-repair.js';
import { addRepoOptions, canPrompt, cliPassword, formatBytes, printJson, promptPassword, repoUrl, withRepo, type RepoCliOptions } from '../repo-access.js';

interface InitOpts extends RepoCliOptions {
  publicKey?: string;
  compression?: string;
  packSize?: string;
}

async function newPassword(opts: { newPasswordFile?: string }, fallback?: string): Promise<string> {
  if (opts.newPasswordFile) return readPasswordFile(opts.newPasswordFile);
  if (process.env.PERMAFROST_NEW_PASSWORD !== undefined) return process.env.PERMAFROST_NEW_PASSWORD;
  if (fallback !== undefined) return fallback;
  if (canPrompt()) {
    const a = await promptPassword('new password: ');
    const b = await promptPassword('repeat new password: ');
    if (a !== b) throw new UsageError('the two passwords differ');
    return a;
  }
  throw new UsageError('no new password: use --new-password-file FILE or set PERMAFROST_NEW_PASSWORD');
}

export function register(program: Command): void {
  const repo = program.command('repo').description('create and maintain a repository');

  addRepoOptions(
    repo
      .command('init')
      .description('create a new, empty repository')
      .option('--public-key <file>', 'also register this RSA public key (PEM) for write-only backup hosts')
      .option('--compression <level>', 'zstd level for new chunks, 0 = none (default 1)')
      .option('--pack-size <MiB>', 'target pack size in MiB (default 8)')
      .option('--json', 'print the result as JSON'),
  ).action(async (opts: InitOpts) => {
    const url = repoUrl(opts);
    const password = await cliPassword(opts, 'password for the new repository: ', { confirm: true });
    if (password === undefined) throw new UsageError('a new repository needs a password: set PERMAFROST_PASSWORD or use --password-file FILE');
    const config: Record<string, number> = {};
    if (opts.compression !== undefined) config.compressionLevel = Number(opts.compression);
    if (opts.packSize !== undefined) config.packSize = Math.round(Number(opts.packSize) * 1048576);
    for (const [k, v] of Object.entries(config)) if (!Number.isFinite(v)) throw new UsageError(`invalid value for ${k}`);
    const r = await initRepository(url, { password, publicKey: opts.publicKey, config });
    const result = { location: r.location, id: r.config.id, version: r.config.version, writeOnlyKey: Boolean(opts.publicKey) };
    await r.close();
    if (opts.json) printJson(result);
    else process.stdout.write(`created repository ${result.id.slice(0, 8)} at ${result.location}${opts.publicKey ? ' (with a write-only public key)' : ''}\n`);
  });

  const key = repo.command('key').description('manage passwords and write-only public keys');
  addRepoOptions(
    key
      .command('add')
      .description('add a password (or, with --public-key, a write-only RSA public key)')
      .option('--public-key <file>', 'register this RSA public key (PEM) for write-only hosts')
      .option('--new-password-file <file>', 'read the new password from FILE (else PERMAFROST_NEW_PASSWORD or a prompt)')
      .option('--json', 'print the result as JSON'),
  ).action(async (opts: RepoCliOptions & { publicKey?: string; newPasswordFile?: string }) => {
    await withRepo(opts, async (r) => {
      const slot = opts.publicKey ? await addPublicKey(r, opts.publicKey) : await addPassphrase(r, await newPassword(opts));
      if (opts.json) printJson(slot);
      else process.stdout.write(`added ${slot.kind} key ${slot.id.slice(0, 8)}\n`);
    });
  });
  addRepoOptions(key.command('remove <id>').description('remove a key slot (the last password cannot be removed)').option('--json', 'print the result as JSON')).action(
    async (id: string, opts: RepoCliOptions) => {
      await withRepo(opts, async (r) => {
        const slot = await removeKeySlot(r, id);
        if (opts.json) printJson(slot);
        else process.stdout.write(`removed ${slot.kind} key ${slot.id.slice(0, 8)}\n`);
      });
    },
  );
  addRepoOptions(key.command('list').description('list key slots').option('--json', 'print as JSON')).action(async (opts: RepoCliOptions) => {
    await withRepo(opts, async (r) => {
      const slots = await listKeySlots(r);
      if (opts.json) return printJson(slots);
      for (const s of slots) {
        process.stdout.write(`${s.id.slice(0, 8)}  ${s.kind.padEnd(10)}  ${s.created}  ${s.kind === 'public' ? `sha256:${s.fingerprint!.slice(0, 16)}…` : s.hostname}\n`);
      }
    });
  });

  addRepoOptions(
    repo
      .command('check')
      .description('verify the repository structure; with --read-data also decrypt and verify every byte')
      .option('--read-data [percent]', 'decrypt and verify all data, or a random PERCENT of the packs')
      .option('--json', 'print the report as JSON'),
    { writeOnly: true },
  ).action(async (opts: RepoCliOptions & { readData?: string | boolean }) => {
    let percent = 0;
    if (opts.readData === true) percent = 100;
    else if (typeof opts.readData === 'string') {
      percent = Number(opts.readData.replace(/%$/, ''));
      if (!(percent > 0 && percent <= 100)) throw new UsageError(`--read-data=${opts.readData}: give a percentage between 0 and 100`);
    }
    await withRepo(opts, async (r) => {
      const meter = percent > 0 ? new ThroughputMeter('check', progressMode({ json: opts.json })) : undefined;
      const report = await checkRepository(r, { readDataPercent: percent, onProgress: () => meter?.add(0) });
      meter?.finish({ packsRead: report.packsRead });
      if (opts.json) printJson(report);
      else {
        process.stdout.write(
          `checked ${report.snapshots} snapshots, ${report.packs} packs, ${report.blobs} blobs` +
            (percent > 0 ? `; read ${report.blobsRead} blobs (${formatBytes(report.bytesRead)}) in ${report.packsRead} packs` : '') +
            '\n',
        );
        for (const w of report.warnings) process.stdout.write(`warning: ${w}\n`);
        for (const p of report.problems) {
          process.stdout.write(`error: ${p.message}\n`);
          for (const a of p.affects) process.stdout.write(`  affects snapshot ${a.snapshot.slice(0, 8)}, ${a.stream}\n`);
        }
        process.stdout.write(report.ok ? 'no errors were found\n' : `${report.problems.length} error(s) found\n`);
      }
      if (!report.ok) {
        throw new PermafrostError(`repository check found ${report.problems.length} error(s) in ${r.location}`, ExitCode.corrupted);
      }
    });
  });

  registerRepair(repo);

  repo
    .command('unlock')
    .description('remove stale locks (dead process on this host, or not refreshed for 30 min); --all removes every lock')
    .option('-r, --repo <url>', 'repository URL (env PERMAFROST_REPOSITORY)')
    .option('--all', 'also remove locks that look alive (only when you know their process is gone)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: RepoCliOptions & { all?: boolean }) => {
      // Locks are plain files: unlocking needs no password (a stuck backup must be recoverable).
      const backend = await openBackend(repoUrl(opts));
      try {
        const res = await unlock(backend, Boolean(opts.all));
        if (opts.json) return printJson(res);
        for (const l of res.removed) process.stdout.write(`removed ${l.exclusive ? 'exclusive' : 'shared'} lock of pid ${l.pid} on ${l.hostname} (${l.command})\n`);
        for (const l of res.kept) process.stdout.write(`kept live ${l.exclusive ? 'exclusive' : 'shared'} lock of pid ${l.pid} on ${l.hostname} (${l.command}); use --all to remove it\n`);
        if (res.removed.length === 0 && res.kept.length === 0) process.stdout.write('no locks\n');
      } finally {
        await backend.close();
      }
    });
}
