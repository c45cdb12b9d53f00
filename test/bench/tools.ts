// How each benchmarked tool is driven: permafrost (this project's CLI), restic with its default
// settings, borg with zstd,3 (and borg with lz4 for the full backup). Every tool backs up the same
// staged path (`<stage>/disk.img`, a hard link to the current image), as a nightly VM-disk backup
// would, and gets its own fresh local repository.
import path from 'node:path';
import type { ToolName } from './args.js';
import type { Command } from './measure.js';

export const BENCH_PASSWORD = 'bench-password-not-secret';
export const STAGED_NAME = 'disk.img';

export interface BenchTool {
  name: ToolName;
  /** The settings used, for the report. */
  settings: string;
  /** Cases this tool takes part in. */
  cases: ('full' | 'incremental' | 'restore' | 'insertion')[];
  init(repo: string): Command;
  /** Backs up `<stage>/disk.img` as snapshot/archive `label`. */
  backup(repo: string, stage: string, label: string, cdc: boolean): Command;
  /** Restores snapshot/archive `label` into `outDir`; returns the command and the restored file. */
  restore(repo: string, stage: string, label: string, outDir: string): { cmd: Command; file: string };
}

/** `cli`: the permafrost entry script to run with node. */
export function makeTools(cli: string, cacheDir: string): Record<ToolName, BenchTool> {
  const pfEnv = { PERMAFROST_PASSWORD: BENCH_PASSWORD };
  const resticEnv = { RESTIC_PASSWORD: BENCH_PASSWORD, RESTIC_CACHE_DIR: path.join(cacheDir, 'restic') };
  const borgEnv = (flavour: string): Record<string, string> => ({
    BORG_PASSPHRASE: BENCH_PASSWORD,
    // Own base dir: a fresh cache and security dir per tool, nothing from earlier runs.
    BORG_BASE_DIR: path.join(cacheDir, flavour),
    BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
  });

  const borg = (name: 'borg-zstd' | 'borg-lz4', compression: string): BenchTool => ({
    name,
    settings: `borg create --compression ${compression}, --encryption repokey (AES-CTR + HMAC-SHA256), default chunker`,
    cases: name === 'borg-lz4' ? ['full'] : ['full', 'incremental', 'restore', 'insertion'],
    init: (repo) => ({ argv: ['borg', 'init', '--encryption', 'repokey', repo], env: borgEnv(name) }),
    backup: (repo, stage, label) => ({
      argv: ['borg', 'create', '--compression', compression, `${repo}::${label}`, STAGED_NAME],
      cwd: stage,
      env: borgEnv(name),
    }),
    restore: (repo, _stage, label, outDir) => ({
      cmd: { argv: ['borg', 'extract', `${repo}::${label}`], cwd: outDir, env: borgEnv(name) },
      file: path.join(outDir, STAGED_NAME),
    }),
  });

  return {
    permafrost: {
      name: 'permafrost',
      settings: 'backup-file --chunker fixed (disk) / --chunker cdc (insertion), default pack size and zstd level',
      cases: ['full', 'incremental', 'restore', 'insertion'],
      init: (repo) => ({ argv: ['node', cli, 'repo', 'init', '--repo', repo], env: pfEnv }),
      backup: (repo, stage, _label, cdc) => ({
        argv: ['node', cli, 'backup-file', path.join(stage, STAGED_NAME), '--repo', repo, '--name', 'disk', '--chunker', cdc ? 'cdc' : 'fixed'],
        env: pfEnv,
      }),
      restore: (repo, _stage, _label, outDir) => {
        const file = path.join(outDir, STAGED_NAME);
        return { cmd: { argv: ['node', cli, 'restore-file', 'latest:disk', '--repo', repo, '-o', file], env: pfEnv }, file };
      },
    },
    restic: {
      name: 'restic',
      settings: 'restic defaults (CDC ~1 MiB average chunks, zstd "auto" compression, repository format v2)',
      cases: ['full', 'incremental', 'restore', 'insertion'],
      init: (repo) => ({ argv: ['restic', 'init', '--repo', repo], env: resticEnv }),
      backup: (repo, stage, label) => ({
        argv: ['restic', 'backup', '--repo', repo, '--tag', label, STAGED_NAME],
        cwd: stage,
        env: resticEnv,
      }),
      restore: (repo, stage, _label, outDir) => ({
        cmd: { argv: ['restic', 'restore', 'latest', '--repo', repo, '--target', outDir], env: resticEnv },
        // restic recreates the absolute path of what was backed up below the target.
        file: path.join(outDir, stage, STAGED_NAME),
      }),
    },
    'borg-zstd': borg('borg-zstd', 'zstd,3'),
    'borg-lz4': borg('borg-lz4', 'lz4'),
  };
}
