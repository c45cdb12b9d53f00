// Shared command-line plumbing of the repository commands: the --repo / password options, the
// password prompt on a TTY, and opening the repository with a clear error when something is missing.
import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { ExitCode, PermafrostError, UsageError } from '../errors.js';
import { openRepository, passwordInEnv, resolvePassword, type OpenOptions } from '../repository/index.js';
import { REPOSITORY_ENV, repositoryFromEnv } from './common-options.js';
import type { PermafrostRepository } from '../repository/repository.js';

export interface RepoCliOptions {
  repo?: string;
  passwordFile?: string;
  passwordCommand?: string;
  publicKeyOnly?: string;
  json?: boolean;
}

export { addRepoOptions } from './common-options.js';

export function repoUrl(opts: RepoCliOptions): string {
  const url = opts.repo ?? repositoryFromEnv();
  if (!url) throw new UsageError(`no repository given: use --repo URL or set ${REPOSITORY_ENV}`);
  return url;
}

/** Asks for a password on the terminal without echoing it. */
export async function promptPassword(question: string): Promise<string> {
  const muted = new Writable({ write: (_chunk, _enc, cb) => cb() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  process.stderr.write(question);
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

/** The password from --password-file/--password-command, the environment or a prompt; undefined if none can be had. */
export async function cliPassword(opts: RepoCliOptions, question = 'repository password: ', ask: { confirm?: boolean } = {}): Promise<string | undefined> {
  const pw = await resolvePassword({ passwordFile: opts.passwordFile, passwordCommand: opts.passwordCommand });
  if (pw !== undefined) return pw;
  if (!canPrompt()) return undefined;
  const typed = await promptPassword(question);
  // a new password is asked twice: a typo would lock the user out of the repository
  if (ask.confirm && (await promptPassword('repeat it: ')) !== typed) throw new UsageError('the two passwords differ; nothing was created');
  return typed;
}

export async function openFromCli(opts: RepoCliOptions): Promise<PermafrostRepository> {
  const url = repoUrl(opts);
  const open: OpenOptions = {};
  const publicKey = opts.publicKeyOnly ?? (opts.passwordFile || opts.passwordCommand || passwordInEnv() ? undefined : process.env.PERMAFROST_PUBLIC_KEY_FILE);
  if (publicKey) open.publicKeyOnly = publicKey;
  else {
    const pw = await cliPassword(opts);
    if (pw === undefined) {
      throw new PermafrostError('no repository password: set PERMAFROST_PASSWORD (or PERMAFROST_PASSWORD_FILE / PERMAFROST_PASSWORD_COMMAND), use --password-file FILE, or run on a terminal to be asked', ExitCode.repository);
    }
    open.password = pw;
  }
  return openRepository(url, open);
}

/** Runs `fn` with an open repository and always closes it. */
export async function withRepo<T>(opts: RepoCliOptions, fn: (repo: PermafrostRepository) => Promise<T>): Promise<T> {
  const repo = await openFromCli(opts);
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

let valueOutput = false;

/** `-f value`: printJson prints bare values instead of a document. */
export function setValueOutput(on: boolean): void {
  valueOutput = on;
}

export function printJson(value: unknown): void {
  if (valueOutput) process.stdout.write(valueLines(value));
  else process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** As `openstack -f value`: one line per record, its scalar fields separated by spaces. */
export function valueLines(value: unknown): string {
  const scalar = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  const line = (v: unknown): string => (scalar(v) ? String(v) : Object.values(v as object).filter(scalar).map(String).join(' '));
  const records = Array.isArray(value) ? value : [value];
  return records.map((r) => `${line(r)}\n`).join('');
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

export function parseTags(values: string[] | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const v of values ?? []) {
    const i = v.indexOf('=');
    if (i <= 0) throw new UsageError(`--tag "${v}" is not KEY=VALUE`);
    tags[v.slice(0, i)] = v.slice(i + 1);
  }
  return tags;
}

export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
