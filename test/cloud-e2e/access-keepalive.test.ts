// Keystone on the local cloud answers `Connection: close` (uwsgi without keep-alive). Nothing in
// the access layer may depend on keep-alive: neither the identity client (fresh connections)
// nor the keep-alive transport used for the other services when pointed at Keystone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeystoneSession } from '../../src/auth/keystone-session.js';
import { createAgents } from '../../src/http/agents.js';
import { Transport } from '../../src/http/transport.js';
import { captureLogger, DEMO, FAST_RETRIES, open } from './helpers/access.js';

let demo: KeystoneSession;

beforeAll(async () => {
  demo = await open(DEMO);
});
afterAll(async () => {
  await demo?.close();
});

describe('Connection: close', () => {
  it('Keystone really closes every connection', async () => {
    const identity = await demo.client('identity');
    const res = await identity.request({ path: '/auth/projects' });
    expect(String(res.headers.connection).toLowerCase()).toBe('close');
  });

  it('30 consecutive identity calls all succeed', async () => {
    const identity = await demo.client('identity');
    for (let i = 0; i < 30; i++) {
      const res = await identity.request<{ projects: unknown[] }>({ path: '/auth/projects' });
      expect(res.body.projects.length).toBeGreaterThanOrEqual(1);
    }
  });

  it('a keep-alive transport aimed at Keystone still works, call after call, in parallel too', async () => {
    const cap = captureLogger();
    const agents = createAgents({ verify: true }, true);
    try {
      const transport = new Transport({ agents, logger: cap.logger, retryPolicy: FAST_RETRIES });
      const token = await demo.token();
      const call = () => transport.send({ service: 'identity', method: 'GET', url: 'http://127.0.0.1:5000/v3/auth/projects', headers: { 'X-Auth-Token': token }, timeoutMs: 30_000 });
      for (let i = 0; i < 15; i++) expect((await call()).statusCode).toBe(200);
      const parallel = await Promise.all(Array.from({ length: 8 }, call));
      expect(parallel.every((r) => r.statusCode === 200)).toBe(true);
      // No call needed its last retry: resets, if any, were absorbed by the first one.
      expect(cap.text()).not.toContain('not retrying');
    } finally {
      agents.destroy();
    }
  });
});
