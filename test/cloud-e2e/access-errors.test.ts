// Each typed error of the HTTP layer from the real services, and microversion negotiation
// against nova (2.1–2.93) and cinder (3.0–3.70).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeystoneSession } from '../../src/auth/keystone-session.js';
import { ConfigError, ExitCode } from '../../src/errors.js';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  TimeoutError,
  UnauthorizedError,
  UnreachableError,
} from '../../src/http/errors.js';
import { DEMO, open, sshPublicKey, uniqueName } from './helpers/access.js';

let demo: KeystoneSession;
const cleanups: Array<() => Promise<unknown>> = [];

async function unusedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  demo = await open(DEMO);
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch((e: Error) => console.error('cleanup failed:', e.message));
  await demo?.close();
});

describe('typed errors from real services', () => {
  it('404 NotFoundError with the service message (nova, cinder, glance, neutron, swift)', async () => {
    const cases: Array<[Parameters<KeystoneSession['client']>[0], string, RegExp]> = [
      ['compute', '/servers/00000000-0000-0000-0000-000000000000', /Instance 00000000-0000-0000-0000-000000000000 could not be found/],
      ['volumev3', '/volumes/00000000-0000-0000-0000-000000000000', /Volume 00000000-0000-0000-0000-000000000000 could not be found/],
      ['image', '/v2/images/00000000-0000-0000-0000-000000000000', /No image found with ID 00000000-0000-0000-0000-000000000000$/],
      ['network', '/v2.0/networks/00000000-0000-0000-0000-000000000000', /Network 00000000-0000-0000-0000-000000000000 could not be found/],
      ['object-store', `/${uniqueName('missing')}`, /could not be found|Not Found/],
    ];
    for (const [type, path, message] of cases) {
      const client = await demo.client(type);
      const err = await client.request({ path }).catch((e: unknown) => e);
      expect(err, `${type} ${path}`).toBeInstanceOf(NotFoundError);
      const e = err as NotFoundError;
      expect(e.serviceMessage).toMatch(message);
      expect(e.exitCode).toBe(ExitCode.notFound);
      expect(e.requestId, type).toMatch(/^(req-|tx)/);
      expect(e.message).toContain(e.requestId!);
    }
  });

  it('409 ConflictError: a duplicate keypair name', async () => {
    const compute = await demo.client('compute');
    const name = uniqueName('kp');
    await compute.request({ method: 'POST', path: '/os-keypairs', json: { keypair: { name, public_key: sshPublicKey(name) } } });
    cleanups.push(() => compute.request({ method: 'DELETE', path: `/os-keypairs/${name}`, okStatus: [202, 204, 404] }));
    const err = await compute.request({ method: 'POST', path: '/os-keypairs', json: { keypair: { name, public_key: sshPublicKey(name) } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).serviceMessage).toMatch(/already exists/);
  });

  it('403 ForbiddenError: a member calling admin-only APIs (keystone users, nova hypervisors)', async () => {
    const identity = await demo.client('identity');
    const e1 = await identity.request({ path: '/users' }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ForbiddenError);
    expect((e1 as ForbiddenError).exitCode).toBe(ExitCode.forbidden);
    expect((e1 as ForbiddenError).serviceMessage).toContain('identity:list_users');
    const compute = await demo.client('compute');
    const e2 = await compute.request({ path: '/os-hypervisors' }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(ForbiddenError);
    expect((e2 as ForbiddenError).serviceMessage).toMatch(/os_compute_api:os-hypervisors/);
  });

  it('401 UnauthorizedError: a service call with a caller-supplied bad token', async () => {
    const net = await demo.client('network');
    // An explicit X-Auth-Token header replaces the session's token, and its 401 is final.
    const err = await net.request({ path: '/v2.0/networks', headers: { 'X-Auth-Token': 'not-a-token-0000' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as UnauthorizedError).exitCode).toBe(ExitCode.auth);
    expect((err as Error).message).not.toContain('not-a-token-0000');
    expect(demo.authCount).toBe(1);
  });

  it('400 BadRequestError: nova rejects an invalid server body', async () => {
    const compute = await demo.client('compute');
    const err = await compute.request({ method: 'POST', path: '/servers', json: { server: { name: uniqueName('bad') } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).serviceMessage).toMatch(/Invalid input|required property|flavorRef/);
  });

  it('UnreachableError: an endpoint override to an unused port', async () => {
    const port = await unusedPort();
    const s = await open(DEMO, { overrides: { endpointOverrides: { network: `http://127.0.0.1:${port}`, compute: `http://127.0.0.1:${port}/v2.1` } } });
    cleanups.push(() => s.close());
    const net = await s.client('network');
    expect(net.endpoint).toBe(`http://127.0.0.1:${port}`);
    const err = await net.request({ path: '/v2.0/networks' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as UnreachableError).code).toBe('ECONNREFUSED');
    expect((err as UnreachableError).exitCode).toBe(ExitCode.unreachable);
    // compute's microversion discovery meets the same dead endpoint.
    await expect(s.client('compute')).rejects.toBeInstanceOf(UnreachableError);
  });

  it('TimeoutError: a tiny timeout', async () => {
    const compute = await demo.client('compute');
    const err = await compute.request({ path: '/servers/detail', timeoutMs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).exitCode).toBe(ExitCode.unreachable);
    expect((err as Error).message).toContain('no answer within 1 ms');
  });
});

describe('microversion negotiation', () => {
  it('compute: server max by default, the wanted maximum when lower, echoed by nova', async () => {
    expect((await demo.client('compute')).microversion).toBe('2.93');
    const c = await demo.client('compute', { microversion: '2.60', minMicroversion: '2.35' });
    expect(c.microversion).toBe('2.60');
    const res = await c.request({ path: '/servers' });
    expect(res.headers['openstack-api-version']).toBe('compute 2.60');
    expect((await demo.client('compute', { microversion: '2.200' })).microversion).toBe('2.93');
  });

  it('compute: a required version above the cloud fails clearly', async () => {
    const err = await demo.client('compute', { minMicroversion: '9.99' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(
      'compute at http://127.0.0.1:8774/v2.1 supports microversions 2.1–2.93, but permafrost needs compute 9.99 or newer; the cloud is too old for this operation',
    );
  });

  it('volume: 3.0–3.70 discovered below the project endpoint; header honoured', async () => {
    expect((await demo.client('volumev3')).microversion).toBe('3.70');
    const v = await demo.client('volumev3', { microversion: '3.50' });
    const res = await v.request({ path: '/volumes' });
    expect(res.headers['openstack-api-version']).toBe('volume 3.50');
    await expect(demo.client('volumev3', { minMicroversion: '3.71' })).rejects.toThrow(/supports microversions 3\.0–3\.70, but permafrost needs volume 3\.71/);
  });
});
