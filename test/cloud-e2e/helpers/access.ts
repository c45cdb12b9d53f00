// Shared pieces of the access-layer suites (test/cloud-e2e/access-*.test.ts): sessions on the
// local cloud, temporary clouds.yaml files, a log capture, unique names for throwaway resources.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { loadCloudConfig } from '../../../src/config/load-cloud-config.js';
import { createLogger, type Logger } from '../../../src/log/logger.js';
import { openSession, type OpenSessionOptions } from '../../../src/openstack/connect.js';

export const DEMO = 'devcloud-demo';
export const ADMIN = 'devcloud-admin';

/** Fast retries: failures in these tests should surface in seconds, not minutes. */
export const FAST_RETRIES = { limit: 2, baseDelayMs: 100, maxDelayMs: 400, maxRetryAfterMs: 5_000 };

export function uniqueName(what: string): string {
  return `pf-test-access-${what}-${randomBytes(4).toString('hex')}`;
}

/** The raw settings of a cloud from the machine's clouds.yaml (for temp copies with changes). */
export function rawCloud(name: string): { auth: Record<string, string>; region_name?: string; interface?: string } {
  const cfg = loadCloudConfig({ cloud: name, env: { HOME: os.homedir() }, cwd: os.tmpdir() });
  if (cfg.credentials.kind !== 'password' || cfg.scope.kind !== 'project') throw new Error(`${name} is not a password/project cloud`);
  return {
    auth: {
      auth_url: cfg.authUrl,
      username: cfg.credentials.username!,
      password: cfg.credentials.password,
      user_domain_name: cfg.credentials.userDomainName ?? 'Default',
      project_name: cfg.scope.name!,
      project_domain_name: cfg.scope.domainName ?? 'Default',
    },
    region_name: cfg.region,
    interface: cfg.interface,
  };
}

/** A clouds.yaml in a fresh temp dir; `env` points OS_CLIENT_CONFIG_FILE at it. */
export function tempClouds(clouds: Record<string, unknown>): { dir: string; file: string; env: NodeJS.ProcessEnv; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pf-access-'));
  const file = path.join(dir, 'clouds.yaml');
  writeFileSync(file, stringify({ clouds }), { mode: 0o600 });
  return { dir, file, env: { HOME: dir, OS_CLIENT_CONFIG_FILE: file }, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function open(cloud: string, extra: Omit<OpenSessionOptions, 'cloud'> = {}) {
  return openSession({ cloud, env: { HOME: os.homedir() }, cwd: os.tmpdir(), retryPolicy: FAST_RETRIES, ...extra });
}

/** A debug logger whose output is kept in memory. */
export function captureLogger(): { logger: Logger; text(): string; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({
    debug: true,
    destination: new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  });
  return { logger, lines, text: () => lines.join('') };
}

/** An OpenSSH ed25519 public key line (Nova keypairs need one since 2.92). */
export function sshPublicKey(comment: string): string {
  // Random 32 bytes are a valid-looking key; Nova only parses the format and computes a fingerprint.
  const type = Buffer.from('ssh-ed25519');
  const key = randomBytes(32);
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const blob = Buffer.concat([u32(type.length), type, u32(key.length), key]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}
