// The S3 backend against the local cloud's Swift S3 API (s3api + s3token on 127.0.0.1:8080, EC2
// credentials of a user in a throw-away project), including retries through a fault-injecting
// proxy (HTTP 503, connection resets) and a connection refused while the endpoint is down.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, PermafrostError } from '../../src/errors.js';
import { openBackend } from '../../src/repository/backends/index.js';
import type { S3Backend } from '../../src/repository/backends/s3.js';
import type { Backend } from '../../src/repository/types.js';
import { backendContract } from './helpers/backend-contract.js';
import { createS3TestProject, deleteS3TestProject, os, type S3TestProject } from './helpers/ec2-credentials.js';
import { startFlakyProxy, type FlakyProxy } from './helpers/flaky-proxy.js';

// PERMAFROST_TEST_S3_ENDPOINT: another proxy of the same cloud (e.g. to try a proxy configuration).
const ENDPOINT = process.env.PERMAFROST_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:8080';
const REGION = 'RegionOne';
const bucket = `pf-test-s3-${randomBytes(4).toString('hex')}`;

let creds: S3TestProject | undefined;
let env: NodeJS.ProcessEnv;
let backend: Backend;
let proxy: FlakyProxy;

async function failure(p: Promise<unknown>): Promise<PermafrostError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PermafrostError);
  return err as PermafrostError;
}

beforeAll(async () => {
  creds = await createS3TestProject('s3');
  env = { AWS_ACCESS_KEY_ID: creds.access, AWS_SECRET_ACCESS_KEY: creds.secret, AWS_ENDPOINT_URL: ENDPOINT, AWS_REGION: REGION };
  backend = await openBackend(`s3://${bucket}/repo?page-size=3`, { env, create: true });
  proxy = await startFlakyProxy(ENDPOINT);
});

afterAll(async () => {
  await backend?.close();
  await proxy?.close();
  await deleteS3TestProject(creds);
});

describe('S3 backend on the local Swift s3api', () => {
  // Swift's s3api answers 501 to conditional PUTs, so the S3 backend offers no putIfAbsent.
  backendContract(() => backend, { putIfAbsent: false });

  it('takes endpoint, region and path style from the URL instead of the environment', async () => {
    const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY } = env;
    const b = await openBackend(`s3://${bucket}/repo?endpoint=${encodeURIComponent(ENDPOINT)}&region=${REGION}&path-style=true`, {
      env: { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY },
    });
    await b.put('from-url', Buffer.from('u'));
    expect((await backend.get('from-url')).toString()).toBe('u');
    await b.delete('from-url');
    await b.close();
  });

  it('keeps a repository under its prefix, apart from others in the same bucket', async () => {
    const other = await openBackend(`s3://${bucket}/other-repo`, { env });
    await other.put('config', Buffer.from('other'));
    expect(await backend.stat('config')).toBeUndefined();
    const keys: string[] = [];
    for await (const o of other.list('')) keys.push(o.key);
    expect(keys).toEqual(['config']);
    await other.delete('config');
    await other.close();
  });

  it('stores each key as a Swift object named PREFIX/KEY in the container named like the bucket', async () => {
    // Cross-checked through the Swift API (the openstack CLI), independently of the S3 code.
    await backend.put('swift-view/a b', Buffer.from('seen from swift'));
    const names = await os(['object', 'list', bucket, '--prefix', 'repo/swift-view/', '-f', 'value', '-c', 'Name'], creds!.osEnv);
    expect(names.trim().split('\n')).toEqual(['repo/swift-view/a b']);
    await backend.delete('swift-view/a b');
  });

  it('retries HTTP 503 answers and connection resets, then succeeds', async () => {
    const b = await openBackend(`s3://${bucket}/repo?endpoint=${encodeURIComponent(proxy.url)}`, { env });
    const data = randomBytes(300_000);
    proxy.failNext(2, '503');
    await b.put('retry/obj', data);
    expect(proxy.stats.failed).toBe(2);
    proxy.failNext(2, 'reset');
    expect((await b.get('retry/obj')).equals(data)).toBe(true);
    expect(proxy.stats.failed).toBe(4);
    proxy.failNext(1, 'reset');
    expect((await b.getRange('retry/obj', 1000, 10)).equals(data.subarray(1000, 1010))).toBe(true);
    proxy.failNext(1, '503');
    await b.delete('retry/obj');
    expect(proxy.stats.failed).toBe(6);
    expect(await backend.stat('retry/obj')).toBeUndefined();
    await b.close();
  });

  it('retries while the endpoint refuses connections, and succeeds once it is back', async () => {
    // A plain forwarder on a port of its own; stopping it leaves nothing listening there.
    const relay = await startFlakyProxy(ENDPOINT);
    const port = Number(new URL(relay.url).port);
    const b = (await openBackend(`s3://${bucket}/repo?endpoint=${encodeURIComponent(relay.url)}&retries=20`, { env })) as S3Backend;
    const data = randomBytes(50_000);
    await b.put('refused/obj', data);
    await relay.close();
    let settled = false;
    const pending = b.get('refused/obj').finally(() => {
      settled = true;
    });
    void pending.catch(() => undefined); // awaited below; this only keeps an early failure handled
    // Wait (no deadline: the retry budget is the bound) until the client has met a refusal...
    while (!settled && !/ECONNREFUSED/.test(b.stats.lastRetryReason ?? '')) await sleep(20);
    expect(settled).toBe(false);
    // ...then bring the endpoint back on the same port.
    const back = await startFlakyProxy(ENDPOINT, port);
    expect((await pending).equals(data)).toBe(true);
    expect(back.stats.forwarded).toBeGreaterThan(0);
    await b.delete('refused/obj');
    await b.close();
    await back.close();
  });

  it('gives up after the configured attempts with an "unreachable" error', async () => {
    const b = await openBackend(`s3://${bucket}/repo?endpoint=${encodeURIComponent(proxy.url)}&retries=2`, { env });
    proxy.failNext(10, '503');
    const err = await failure(b.get('anything'));
    expect(err.exitCode).toBe(ExitCode.unreachable);
    expect(err.message).toMatch(/kept failing \(2 attempts; last: HTTP 503/);
    proxy.failNext(0, '503');
    await b.close();
  });

  it('refuses to start without credentials', async () => {
    const err = await failure(openBackend(`s3://${bucket}/repo`, { env: { AWS_ENDPOINT_URL: ENDPOINT, AWS_REGION: REGION } }));
    expect(err.exitCode).toBe(ExitCode.config);
    expect(err.message).toMatch(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  });

  it('reports a wrong secret as an authentication error', async () => {
    const err = await failure(openBackend(`s3://${bucket}/repo`, { env: { ...env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' } }));
    expect(err.exitCode).toBe(ExitCode.auth);
    expect(err.message).toMatch(/rejected the credentials/);
    expect(err.message).not.toContain('not-the-secret');
  });

  it('reports a missing bucket and a wrong region clearly', async () => {
    const missing = await failure(openBackend(`s3://${bucket}-missing/repo`, { env }));
    expect(missing.exitCode).toBe(ExitCode.repository);
    expect(missing.message).toMatch(/does not exist.*repo init/);
    const region = await failure(openBackend(`s3://${bucket}/repo`, { env: { ...env, AWS_REGION: 'eu-west-9' } }));
    expect(region.exitCode).toBe(ExitCode.config);
    expect(region.message).toContain(`region=${REGION}`);
  });

  it('rejects unknown URL options', async () => {
    const err = await failure(openBackend(`s3://${bucket}/repo?colud=x`, { env }));
    expect(err.exitCode).toBe(ExitCode.config);
  });
});
