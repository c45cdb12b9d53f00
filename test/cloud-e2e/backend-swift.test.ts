// The Swift backend against the local cloud's Swift (demo project), including retries and
// re-authentication through a fault-injecting proxy in front of the real proxy server.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, PermafrostError } from '../../src/errors.js';
import { openSession } from '../../src/openstack/connect.js';
import { openBackend } from '../../src/repository/backends/index.js';
import type { Backend } from '../../src/repository/types.js';
import { backendContract } from './helpers/backend-contract.js';
import { deleteDemoContainer } from './helpers/demo-container.js';
import { startFlakyProxy, type FlakyProxy } from './helpers/flaky-proxy.js';

const CLOUD = 'devcloud-demo';
const container = `pf-test-swift-${randomBytes(4).toString('hex')}`;

let backend: Backend;
let proxy: FlakyProxy;
/** The demo project's storage URL with the proxy's origin instead of the real one. */
let proxiedStorageUrl: string;

async function failure(p: Promise<unknown>): Promise<PermafrostError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PermafrostError);
  return err as PermafrostError;
}

beforeAll(async () => {
  backend = await openBackend(`swift://${container}/repo?cloud=${CLOUD}&page-size=3`, { create: true });
  const session = await openSession({ cloud: CLOUD });
  const endpoint = new URL((await session.client('object-store')).endpoint);
  await session.close();
  proxy = await startFlakyProxy(endpoint.origin);
  proxiedStorageUrl = `${proxy.url}${endpoint.pathname}`;
});

afterAll(async () => {
  await backend?.close();
  await proxy?.close();
  await deleteDemoContainer(container);
});

describe('Swift backend on the local cloud', () => {
  backendContract(() => backend);

  it('takes the cloud from the settings (--os-cloud) when the URL has none', async () => {
    const b = await openBackend(`swift://${container}/repo`, { settings: { cloud: CLOUD } });
    expect(b.location).toBe(`swift://${container}/repo/?cloud=${CLOUD}`);
    await b.put('from-settings', Buffer.from('s'));
    expect((await backend.get('from-settings')).toString()).toBe('s');
    await b.delete('from-settings');
    await b.close();
  });

  it('retries HTTP 503 answers and connection resets, then succeeds', async () => {
    const b = await openBackend(`swift://${container}/repo?cloud=${CLOUD}&storage-url=${encodeURIComponent(proxiedStorageUrl)}`, {});
    const data = randomBytes(300_000);
    const before = proxy.stats.failed;
    proxy.failNext(2, '503');
    await b.put('retry/obj', data);
    proxy.failNext(2, 'reset');
    expect((await b.get('retry/obj')).equals(data)).toBe(true);
    proxy.failNext(1, 'reset');
    expect((await b.getRange('retry/obj', 1000, 10)).equals(data.subarray(1000, 1010))).toBe(true);
    proxy.failNext(1, '503');
    const listed: string[] = [];
    for await (const o of b.list('retry/')) listed.push(o.key);
    expect(listed).toEqual(['retry/obj']);
    proxy.failNext(1, 'reset');
    await b.delete('retry/obj');
    expect(proxy.stats.failed - before).toBe(7);
    expect(await backend.stat('retry/obj')).toBeUndefined();
    await b.close();
  });

  it('re-authenticates once when Swift rejects the token (401) and goes on', async () => {
    const b = await openBackend(`swift://${container}/repo?cloud=${CLOUD}&storage-url=${encodeURIComponent(proxiedStorageUrl)}`, {});
    const before = proxy.stats.failed;
    proxy.failNext(1, '401');
    await b.put('reauth/obj', Buffer.from('after a 401'));
    expect(proxy.stats.failed - before).toBe(1);
    expect((await backend.get('reauth/obj')).toString()).toBe('after a 401');
    await b.delete('reauth/obj');
    await b.close();
  });

  it('gives up after the configured attempts with an "unreachable" error', async () => {
    const b = await openBackend(`swift://${container}/repo?cloud=${CLOUD}&retries=2&storage-url=${encodeURIComponent(proxiedStorageUrl)}`, {});
    proxy.failNext(10, '503');
    const err = await failure(b.get('anything'));
    expect(err.exitCode).toBe(ExitCode.unreachable);
    expect(err.message).toMatch(/kept failing \(2 attempts/);
    proxy.failNext(0, '503');
    await b.close();
  });

  it('reports a missing container, an unknown cloud and unknown options clearly', async () => {
    const missing = await failure(openBackend(`swift://${container}-missing/repo?cloud=${CLOUD}`, {}));
    expect(missing.exitCode).toBe(ExitCode.repository);
    expect(missing.message).toMatch(/does not exist in cloud devcloud-demo.*repo init/);
    const cloud = await failure(openBackend(`swift://${container}/repo?cloud=no-such-cloud`, {}));
    expect(cloud.exitCode).toBe(ExitCode.config);
    expect(cloud.message).toContain('no-such-cloud');
    const option = await failure(openBackend(`swift://${container}/repo?cloud=${CLOUD}&colud=x`, {}));
    expect(option.exitCode).toBe(ExitCode.config);
  });

  it('refuses keys that would escape the repository prefix', async () => {
    await expect(backend.put('../escape', Buffer.from('x'))).rejects.toBeInstanceOf(PermafrostError);
  });
});
