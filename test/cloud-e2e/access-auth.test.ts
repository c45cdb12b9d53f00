// Keystone sessions against the real local cloud: password and application-credential auth,
// project/domain/unscoped tokens, scopedTo, re-authentication on expiry (the 60 s Keystone on
// :5001) and exactly once on a 401 (revoked token), catalog aliases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeystoneSession } from '../../src/auth/keystone-session.js';
import { ConfigError, ExitCode } from '../../src/errors.js';
import { UnauthorizedError } from '../../src/http/errors.js';
import os from 'node:os';
import { openSession, sessionFromOptions } from '../../src/openstack/connect.js';
import { ADMIN, DEMO, FAST_RETRIES, open, rawCloud, tempClouds, uniqueName } from './helpers/access.js';

let demo: KeystoneSession;
let admin: KeystoneSession;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  demo = await open(DEMO);
  admin = await open(ADMIN);
});
afterAll(async () => {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch (err) {
      console.error('cleanup failed:', (err as Error).message);
    }
  }
  await demo?.close();
  await admin?.close();
});

describe('password auth', () => {
  it('gives a project-scoped token with roles and a catalog', async () => {
    expect(demo.project?.name).toBe('demo');
    expect(demo.roles).toContain('member');
    expect(demo.isAdmin()).toBe(false);
    expect(admin.isAdmin()).toBe(true);
    expect(demo.hasService('compute')).toBe(true);
    expect(demo.hasService('object-store')).toBe(true);
    const compute = await demo.client('compute');
    const res = await compute.request<{ servers: Array<{ name: string }> }>({ path: '/servers' });
    expect(res.body.servers.map((s) => s.name)).toContain('demo-server');
    expect(res.requestId).toMatch(/^req-/);
  });

  it('resolves block storage through both catalog names (volumev3 and block-storage)', async () => {
    const identity = await admin.client('identity');
    const services = await identity.request<{ services: Array<{ type: string }> }>({ path: '/services' });
    const types = services.body.services.map((s) => s.type);
    expect(types).toEqual(expect.arrayContaining(['volumev3', 'block-storage']));
    const volume = await demo.client('volumev3');
    expect(volume.endpoint).toBe(`http://127.0.0.1:8776/v3/${demo.project!.id}`);
    const res = await volume.request<{ volumes: unknown[] }>({ path: '/volumes' });
    expect(res.body.volumes.length).toBeGreaterThanOrEqual(2);
  });

  it('command-line options select region and interface; a missing region is explained', async () => {
    const s = await sessionFromOptions({ osCloud: DEMO, osRegionName: 'RegionOne', osInterface: 'internal' }, { env: { HOME: os.homedir() }, cwd: os.tmpdir(), retryPolicy: FAST_RETRIES });
    cleanups.push(() => s.close());
    expect((await s.client('network')).endpoint).toBe('http://127.0.0.1:9696');
    const elsewhere = await sessionFromOptions({ osCloud: DEMO, osRegionName: 'Atlantis' }, { env: { HOME: os.homedir() }, cwd: os.tmpdir(), retryPolicy: FAST_RETRIES });
    cleanups.push(() => elsewhere.close());
    const err = await elsewhere.client('compute').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/the service catalog has no compute endpoint for interface public in region Atlantis; it offers .*compute \(.*public@RegionOne/);
  });

  it('a bad password is an UnauthorizedError naming the cloud and user, never the password', async () => {
    const raw = rawCloud(DEMO);
    const wrong = 'wrong-password-4711';
    const t = tempClouds({ bad: { ...raw, auth: { ...raw.auth, password: wrong } } });
    cleanups.push(t.cleanup);
    const err = await openSession({ cloud: 'bad', env: t.env, cwd: t.dir, retryPolicy: FAST_RETRIES }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    const e = err as UnauthorizedError;
    expect(e.exitCode).toBe(ExitCode.auth);
    expect(e.message).toContain('authentication failed for cloud "bad" (user demo, project demo');
    expect(e.message).toContain('The request you have made requires authentication.');
    expect(e.message).not.toContain(wrong);
  });
});

describe('token scopes', () => {
  const userName = uniqueName('user');
  const password = `pw-${uniqueName('x')}`;
  let userId: string;

  beforeAll(async () => {
    const identity = await admin.client('identity');
    const created = await identity.request<{ user: { id: string } }>({
      method: 'POST',
      path: '/users',
      json: { user: { name: userName, password, domain_id: 'default' } },
      okStatus: [201],
    });
    userId = created.body.user.id;
    cleanups.push(() => identity.request({ method: 'DELETE', path: `/users/${userId}`, okStatus: [204, 404] }));
    const roles = await identity.request<{ roles: Array<{ id: string }> }>({ path: '/roles', searchParams: { name: 'member' } });
    const member = roles.body.roles[0]!.id;
    await identity.request({ method: 'PUT', path: `/domains/default/users/${userId}/roles/${member}`, okStatus: [204] });
    await identity.request({ method: 'PUT', path: `/projects/${demo.project!.id}/users/${userId}/roles/${member}`, okStatus: [204] });
  });

  function cloudFor(auth: Record<string, string>) {
    const t = tempClouds({ t: { auth: { auth_url: 'http://127.0.0.1:5000/v3', username: userName, password, user_domain_name: 'Default', ...auth }, region_name: 'RegionOne' } });
    cleanups.push(t.cleanup);
    return openSession({ cloud: 't', env: t.env, cwd: t.dir, retryPolicy: FAST_RETRIES });
  }

  it('domain-scoped token', async () => {
    const s = await cloudFor({ domain_name: 'Default' });
    cleanups.push(() => s.close());
    expect(s.project).toBeUndefined();
    expect(s.domain).toEqual({ id: 'default', name: 'Default' });
    expect(s.roles).toContain('member');
    const identity = await s.client('identity');
    const res = await identity.request<{ token: { domain: { id: string } } }>({ path: '/auth/tokens', headers: { 'X-Subject-Token': await s.token() } });
    expect(res.body.token.domain.id).toBe('default');
  });

  it('unscoped token: identity works through auth_url, other services say why they are missing', async () => {
    const s = await cloudFor({});
    cleanups.push(() => s.close());
    expect(s.project).toBeUndefined();
    expect(s.domain).toBeUndefined();
    expect(s.roles).toEqual([]);
    const identity = await s.client('identity');
    const projects = await identity.request<{ projects: Array<{ name: string }> }>({ path: '/auth/projects' });
    expect(projects.body.projects.map((p) => p.name)).toContain('demo');
    const err = await s.client('compute').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('not project-scoped');
  });

  it('scopedTo() re-scopes the same credentials to another project', async () => {
    const s = await cloudFor({ domain_name: 'Default' });
    cleanups.push(() => s.close());
    const p = await s.scopedTo({ name: 'demo', domainName: 'Default' });
    cleanups.push(() => p.close());
    expect(p.project?.id).toBe(demo.project!.id);
    const compute = await p.client('compute');
    const res = await compute.request<{ servers: unknown[] }>({ path: '/servers' });
    expect(res.body.servers.length).toBeGreaterThanOrEqual(1);
    const byId = await admin.scopedTo({ id: admin.project!.id });
    cleanups.push(() => byId.close());
    expect(byId.project?.name).toBe('admin');
  });
});

describe('application credentials', () => {
  it('authenticate by id and by name + user, bound to the project', async () => {
    const identity = await demo.client('identity');
    const name = uniqueName('appcred');
    const created = await identity.request<{ application_credential: { id: string; secret: string } }>({
      method: 'POST',
      path: `/users/${demo.userId}/application_credentials`,
      json: { application_credential: { name, description: 'permafrost access-layer test' } },
      okStatus: [201],
    });
    const { id, secret } = created.body.application_credential;
    cleanups.push(() => identity.request({ method: 'DELETE', path: `/users/${demo.userId}/application_credentials/${id}`, okStatus: [204, 404] }));
    const t = tempClouds({
      byid: { auth_type: 'v3applicationcredential', auth: { auth_url: 'http://127.0.0.1:5000/v3', application_credential_id: id, application_credential_secret: secret }, region_name: 'RegionOne' },
      byname: {
        auth_type: 'v3applicationcredential',
        auth: { auth_url: 'http://127.0.0.1:5000', application_credential_name: name, username: 'demo', user_domain_name: 'Default', application_credential_secret: secret },
      },
    });
    cleanups.push(t.cleanup);
    for (const cloud of ['byid', 'byname']) {
      const s = await openSession({ cloud, env: t.env, cwd: t.dir, retryPolicy: FAST_RETRIES });
      try {
        expect(s.project?.id).toBe(demo.project!.id);
        expect(s.userId).toBe(demo.userId);
        const net = await s.client('network');
        const res = await net.request<{ networks: Array<{ name: string }> }>({ path: '/v2.0/networks' });
        expect(res.body.networks.map((n) => n.name)).toContain('demo-net');
        await expect(s.scopedTo({ name: 'admin' })).rejects.toThrow(/application credential.*cannot be re-scoped/);
      } finally {
        await s.close();
      }
    }
  });
});

describe('re-authentication', () => {
  it('re-authenticates once after a 401 from a revoked token, and the call succeeds', async () => {
    const s = await open(DEMO);
    cleanups.push(() => s.close());
    const first = await s.token();
    const identity = await s.client('identity');
    // Revoke the session's own token. Neutron has never seen it, so no validation cache hides the revocation.
    await identity.request({ method: 'DELETE', path: '/auth/tokens', headers: { 'X-Subject-Token': first }, okStatus: [204] });
    expect(s.authCount).toBe(1);
    const net = await s.client('network');
    const res = await net.request<{ networks: unknown[] }>({ path: '/v2.0/networks' });
    expect(res.statusCode).toBe(200);
    expect(s.authCount).toBe(2);
    expect(await s.token()).not.toBe(first);
  });

  it('re-authenticates after token expiry (Keystone on :5001 issues 60 s tokens)', async () => {
    const raw = rawCloud(DEMO);
    const t = tempClouds({ short: { ...raw, auth: { ...raw.auth, auth_url: 'http://127.0.0.1:5001/v3' } } });
    cleanups.push(t.cleanup);
    const s = await openSession({ cloud: 'short', env: t.env, cwd: t.dir, retryPolicy: FAST_RETRIES });
    cleanups.push(() => s.close());
    const lifetime = s.expiresAt - Date.now();
    expect(lifetime).toBeLessThanOrEqual(61_000);
    const first = await s.token();
    const compute = await s.client('compute');
    await compute.request({ path: '/servers' });
    expect(s.authCount).toBe(1);
    // Wait until the first token is really expired.
    await new Promise((r) => setTimeout(r, Math.max(0, s.expiresAt - Date.now()) + 1500));
    // Several calls at once after expiry share ONE re-authentication.
    const results = await Promise.all([
      compute.request<{ servers: unknown[] }>({ path: '/servers' }),
      compute.request({ path: '/flavors' }),
      (await s.client('network')).request({ path: '/v2.0/networks' }),
      (await s.client('image')).request({ path: '/v2/images' }),
    ]);
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    expect(s.authCount).toBe(2);
    expect(await s.token()).not.toBe(first);
  }, 120_000);
});
