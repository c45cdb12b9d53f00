// Public entry points of the repository: open an existing one (password → read/write, public key →
// write-only) or create one.
import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ExitCode, PermafrostError } from '../errors.js';
import { openBackend, type BackendOptions } from './backends/index.js';
import { newConfig, readConfig, type RepoConfigOverrides } from './config.js';
import { CONFIG_KEY, KEYS_PREFIX } from './format.js';
import {
  DEFAULT_SCRYPT,
  generateMaster,
  readSlots,
  loadPublicKey,
  makePassphraseSlot,
  makePublicSlot,
  saveRecipients,
  unlockWithPassphrase,
  unlockWithPublicKey,
  type ScryptParams,
} from './keys.js';
import { PermafrostRepository } from './repository.js';

const execFileAsync = promisify(execFile);

export { PermafrostRepository } from './repository.js';
export type { StartSnapshotOptions } from './repository.js';

export interface OpenOptions {
  password?: string;
  passwordFile?: string;
  /** A command whose standard output is the password (a secret manager's CLI). */
  passwordCommand?: string;
  /** Write-only host: path of the RSA public key file registered in the repository. */
  publicKeyOnly?: string;
  backend?: BackendOptions;
}

export interface InitOptions extends OpenOptions {
  /** Also register this RSA public key (PEM file) for write-only hosts. */
  publicKey?: string;
  config?: RepoConfigOverrides;
  scrypt?: ScryptParams;
}

export async function readPasswordFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new PermafrostError(`cannot read the password file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, ExitCode.config, { cause: err });
  }
  // One trailing newline is what editors and `echo` add; it is not part of the password.
  return text.replace(/\r?\n$/, '');
}

/** The password from the options or the environment (PERMAFROST_PASSWORD, PERMAFROST_PASSWORD_FILE). */
export async function resolvePassword(opts: OpenOptions): Promise<string | undefined> {
  if (opts.password !== undefined) return opts.password;
  if (opts.passwordFile) return readPasswordFile(opts.passwordFile);
  if (opts.passwordCommand) return runPasswordCommand(opts.passwordCommand);
  if (process.env.PERMAFROST_PASSWORD !== undefined) return process.env.PERMAFROST_PASSWORD;
  if (process.env.PERMAFROST_PASSWORD_FILE) return readPasswordFile(process.env.PERMAFROST_PASSWORD_FILE);
  if (process.env.PERMAFROST_PASSWORD_COMMAND) return runPasswordCommand(process.env.PERMAFROST_PASSWORD_COMMAND);
  return undefined;
}

/** Whether the environment names a password source. */
export function passwordInEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PERMAFROST_PASSWORD !== undefined || Boolean(env.PERMAFROST_PASSWORD_FILE) || Boolean(env.PERMAFROST_PASSWORD_COMMAND);
}

/** Runs the password command through the shell; its output (one trailing newline removed) is the password. */
export async function runPasswordCommand(command: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync('/bin/sh', ['-c', command], { timeout: 60_000, maxBuffer: 1 << 20 });
    return stdout.replace(/\r?\n$/, '');
  } catch (err) {
    const e = err as { code?: number | string; stderr?: string };
    // the command's own message may help; the password never appears in it (it failed)
    throw new PermafrostError(`the password command failed (exit ${e.code ?? '?'}): ${(e.stderr ?? '').trim().slice(0, 300) || 'no message'}; check PERMAFROST_PASSWORD_COMMAND / --password-command`, ExitCode.config, { cause: err });
  }
}

async function readPublicKeyFile(file: string): Promise<crypto.KeyObject> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    throw new PermafrostError(`cannot read the public key file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, ExitCode.config, { cause: err });
  }
  return loadPublicKey(pem, file);
}

export async function openRepository(url: string, opts: OpenOptions = {}): Promise<PermafrostRepository> {
  const backend = await openBackend(url, opts.backend);
  try {
    const config = await readConfig(backend);
    const { slots, damaged } = await readSlots(backend);
    const explicit = opts.password !== undefined || Boolean(opts.passwordFile) || Boolean(opts.passwordCommand);
    const publicKeyFile = opts.publicKeyOnly ?? (explicit ? undefined : process.env.PERMAFROST_PUBLIC_KEY_FILE);
    const password = publicKeyFile && !explicit ? undefined : await resolvePassword(opts);
    if (password !== undefined) {
      const { secrets } = unlockWithPassphrase(slots, password, backend.location, damaged);
      return new PermafrostRepository(backend, config, secrets);
    }
    if (publicKeyFile) {
      const pub = await readPublicKeyFile(publicKeyFile);
      const { idKey } = unlockWithPublicKey(slots, pub, backend.location);
      return new PermafrostRepository(backend, config, { idKey, readerPublicPem: '' });
    }
    throw new PermafrostError(
      `no password for the repository at ${backend.location}: set PERMAFROST_PASSWORD, use --password-file FILE (or --public-key-only FILE on a write-only host)`,
      ExitCode.repository,
    );
  } catch (err) {
    await backend.close();
    throw err;
  }
}

export async function initRepository(url: string, opts: InitOptions = {}): Promise<PermafrostRepository> {
  const password = await resolvePassword(opts);
  if (password === undefined || password.length === 0) {
    throw new PermafrostError('a new repository needs a password: set PERMAFROST_PASSWORD or use --password-file FILE', ExitCode.usage);
  }
  const userKey = opts.publicKey ? await readPublicKeyFile(opts.publicKey) : undefined;
  const backend = await openBackend(url, { ...opts.backend, create: true });
  try {
    if (await backend.stat(CONFIG_KEY)) {
      throw new PermafrostError(`${backend.location} already holds a permafrost repository: nothing was changed`, ExitCode.repository);
    }
    for await (const entry of backend.list(KEYS_PREFIX)) {
      throw new PermafrostError(`${backend.location} is not empty (found ${entry.key}): init needs an empty location`, ExitCode.repository);
    }
    const config = newConfig(opts.config);
    const { secrets, payload } = generateMaster();
    const slot = makePassphraseSlot(password, payload, opts.scrypt ?? DEFAULT_SCRYPT);
    await backend.put(`${KEYS_PREFIX}${slot.id}`, Buffer.from(JSON.stringify(slot, null, 2)));
    const recipients = [crypto.createPublicKey(secrets.readerPublicPem)];
    if (userKey) {
      const pubSlot = makePublicSlot(userKey, secrets.idKey);
      await backend.put(`${KEYS_PREFIX}${pubSlot.id}`, Buffer.from(JSON.stringify(pubSlot, null, 2)));
      recipients.push(userKey);
    }
    await saveRecipients(backend, secrets.idKey, recipients);
    // The config is written last: it is what makes the location a repository.
    await backend.put(CONFIG_KEY, Buffer.from(JSON.stringify(config, null, 2)));
    return new PermafrostRepository(backend, config, secrets);
  } catch (err) {
    await backend.close();
    throw err;
  }
}
