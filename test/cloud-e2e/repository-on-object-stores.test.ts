// End to end through the CLI: a repository on Swift (swift://) and on S3 (s3:// on Swift's
// s3api): init, back up a file, restore it, compare the hash — the data engine over the remote
// backends, exactly as a user runs it.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackend } from '../../src/repository/backends/index.js';
import { deleteDemoContainer } from './helpers/demo-container.js';
import { createS3TestProject, deleteS3TestProject, type S3TestProject } from './helpers/ec2-credentials.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../bin/permafrost.js', import.meta.url));
const suffix = randomBytes(4).toString('hex');
const swiftContainer = `pf-test-e2e-swift-${suffix}`;
const s3Bucket = `pf-test-e2e-s3-${suffix}`;
const repairContainer = `pf-test-repair-swift-${suffix}`;

let dir: string;
let source: string;
let sourceSha: string;
let creds: S3TestProject | undefined;

async function permafrost(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run('node', [cli, ...args], {
    env: { ...process.env, PERMAFROST_PASSWORD: 'e2e-password', ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pf-e2e-stores-'));
  source = path.join(dir, 'source.bin');
  // 6 MiB: random, a zero run, log-ish text — several chunks and at least one pack.
  const text = Buffer.from('2026-01-01T00:00:00Z host app[1]: INFO request served in 12 ms\n'.repeat(20_000));
  await fs.writeFile(source, Buffer.concat([randomBytes(3 * 1024 * 1024), Buffer.alloc(1024 * 1024), text.subarray(0, 2 * 1024 * 1024)]));
  sourceSha = await sha256(source);
  creds = await createS3TestProject('s3-e2e');
});

afterAll(async () => {
  await deleteDemoContainer(swiftContainer);
  await deleteDemoContainer(repairContainer);
  await deleteS3TestProject(creds);
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

async function roundTrip(url: string, env: NodeJS.ProcessEnv): Promise<void> {
  await permafrost(['repo', 'init', '--repo', url], env);
  await permafrost(['backup-file', source, '--repo', url, '--name', 'source.bin', '--chunker', 'cdc'], env);
  const out = path.join(dir, `restored-${randomBytes(3).toString('hex')}`);
  await permafrost(['restore-file', 'latest:source.bin', '--repo', url, '-o', out], env);
  expect(await sha256(out)).toBe(sourceSha);
  const snapshots = JSON.parse(await permafrost(['snapshots', '--repo', url, '--json'], env)) as unknown[];
  expect(snapshots).toHaveLength(1);
}

describe('a repository on the object stores, through the CLI', () => {
  it('swift://: init, backup-file, restore-file give back the same bytes', async () => {
    await roundTrip(`swift://${swiftContainer}/repo?cloud=devcloud-demo`, {});
  });

  it('swift://: with index/ deleted, repo repair index rebuilds it from the packs and the file restores the same', async () => {
    const url = `swift://${repairContainer}/repo?cloud=devcloud-demo`;
    await permafrost(['repo', 'init', '--repo', url]);
    await permafrost(['backup-file', source, '--repo', url, '--name', 'source.bin']);
    const backend = await openBackend(url);
    let deleted = 0;
    try {
      const keys: string[] = [];
      for await (const { key } of backend.list('index/')) keys.push(key);
      for (const key of keys) await backend.delete(key);
      deleted = keys.length;
    } finally {
      await backend.close();
    }
    expect(deleted).toBeGreaterThan(0);
    expect(await permafrost(['repo', 'repair', 'index', '--repo', url])).toContain(`0 index files intact, ${deleted} rebuilt`);
    const out = path.join(dir, 'restored-after-repair');
    await permafrost(['restore-file', 'latest:source.bin', '--repo', url, '-o', out]);
    expect(await sha256(out)).toBe(sourceSha);
    await permafrost(['repo', 'check', '--read-data', '--repo', url]);
  });

  it('s3:// (Swift s3api): init, backup-file, restore-file, check --read-data, forget --prune', async () => {
    const url = `s3://${s3Bucket}/repo`;
    const env = {
      AWS_ACCESS_KEY_ID: creds!.access,
      AWS_SECRET_ACCESS_KEY: creds!.secret,
      AWS_ENDPOINT_URL: process.env.PERMAFROST_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:8080',
      AWS_REGION: 'RegionOne',
    };
    await roundTrip(url, env);
    // check exits 0 only when every pack is there and (with --read-data) every chunk decrypts.
    await permafrost(['repo', 'check', '--repo', url], env);
    await permafrost(['repo', 'check', '--read-data', '--repo', url], env);
    // forget + prune on S3 (exclusive lock, deletes, repack): only the newer snapshot stays, whole.
    const second = path.join(dir, 'second.bin');
    await fs.writeFile(second, Buffer.concat([randomBytes(1024 * 1024), await fs.readFile(source)]));
    await permafrost(['backup-file', second, '--repo', url, '--name', 'source.bin', '--chunker', 'cdc'], env);
    await permafrost(['forget', '--keep-last', '1', '--prune', '--repo', url], env);
    expect(JSON.parse(await permafrost(['snapshots', '--repo', url, '--json'], env))).toHaveLength(1);
    const out = path.join(dir, 'restored-after-prune');
    await permafrost(['restore-file', 'latest:source.bin', '--repo', url, '-o', out], env);
    expect(await sha256(out)).toBe(await sha256(second));
    await permafrost(['repo', 'check', '--read-data', '--repo', url], env);
    // A wrong S3 secret: exit code 5 (auth), a message that says so, and the secret nowhere.
    const bad = await run('node', [cli, 'snapshots', '--repo', url], {
      env: { ...process.env, PERMAFROST_PASSWORD: 'e2e-password', ...env, AWS_SECRET_ACCESS_KEY: 'wrong-secret-e2e' },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code?: number; stderr?: string }) => ({ code: e.code, stderr: e.stderr ?? '' }),
    );
    expect(bad.code).toBe(5);
    expect(bad.stderr).toMatch(/rejected the credentials/);
    expect(bad.stderr).not.toContain('wrong-secret-e2e');
  });
});
