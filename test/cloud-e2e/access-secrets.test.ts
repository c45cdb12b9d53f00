// No secret reaches the debug log: passwords, application-credential secrets and tokens
// (X-Auth-Token / X-Subject-Token) are absent from everything logged while authenticating,
// re-authenticating after a revoked token, failing with a bad password and downloading — both in
// a captured logger and on the real stderr of a process opened with `debug: true`.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { inspect, promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openSession } from '../../src/openstack/connect.js';
import { captureLogger, DEMO, FAST_RETRIES, open, rawCloud, tempClouds, uniqueName } from './helpers/access.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cleanups: Array<() => Promise<unknown> | unknown> = [];

afterAll(async () => {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch (err) {
      console.error('cleanup failed:', (err as Error).message);
    }
  }
});

function expectClean(text: string, secrets: string[]) {
  for (const s of secrets) expect(text.includes(s), `a secret of ${s.length} chars leaked into the log`).toBe(false);
  expect(text).not.toMatch(/gAAAAA[A-Za-z0-9_-]{20,}/);
}

describe('debug output', () => {
  it('a captured debug log holds request ids but no password, secret or token', async () => {
    const cap = captureLogger();
    const raw = rawCloud(DEMO);
    const password = raw.auth.password!;
    const tokens: string[] = [];

    const s = await open(DEMO, { logger: cap.logger });
    cleanups.push(() => s.close());
    tokens.push(await s.token());
    const identity = await s.client('identity');
    const name = uniqueName('appcred');
    const created = await identity.request<{ application_credential: { id: string; secret: string } }>({
      method: 'POST',
      path: `/users/${s.userId}/application_credentials`,
      json: { application_credential: { name } },
      okStatus: [201],
    });
    const { id, secret } = created.body.application_credential;
    cleanups.push(() => identity.request({ method: 'DELETE', path: `/users/${s.userId}/application_credentials/${id}`, okStatus: [204, 404] }));

    // Revoke → 401 → re-authentication: both tokens pass through headers.
    await identity.request({ method: 'DELETE', path: '/auth/tokens', headers: { 'X-Subject-Token': tokens[0]! }, okStatus: [204] });
    const net = await s.client('network');
    await net.request({ path: '/v2.0/networks' });
    tokens.push(await s.token());
    expect(tokens[1]).not.toBe(tokens[0]);

    const swift = await s.client('object-store');
    const dl = await swift.download({ path: '/demo-container/hello.txt' });
    for await (const _ of dl.stream) void _;

    const t = tempClouds({
      app: { auth_type: 'v3applicationcredential', auth: { auth_url: 'http://127.0.0.1:5000/v3', application_credential_id: id, application_credential_secret: secret } },
      bad: { ...raw, auth: { ...raw.auth, password: 'bad-password-31337' } },
    });
    cleanups.push(t.cleanup);
    const app = await openSession({ cloud: 'app', env: t.env, cwd: t.dir, logger: cap.logger, retryPolicy: FAST_RETRIES });
    tokens.push(await app.token());
    await (await app.client('compute')).request({ path: '/servers' });
    await app.close();
    const err = await openSession({ cloud: 'bad', env: t.env, cwd: t.dir, logger: cap.logger, retryPolicy: FAST_RETRIES }).catch((e: unknown) => e);
    expect((err as Error).message).not.toContain('bad-password-31337');

    // Printing a session (console.log, JSON) shows who, not how.
    const printed = inspect(s, { depth: 20 }) + JSON.stringify(s);
    expect(printed).toContain(s.userId);
    expectClean(printed, [password, ...tokens]);

    const text = cap.text();
    expect(cap.lines.length).toBeGreaterThan(10);
    expect(text).toContain('"X-Auth-Token":"***"');
    expect(text).toMatch(/"requestId":"req-[0-9a-f-]+"/);
    expect(text).toMatch(/"requestId":"tx[0-9a-f-]+"/);
    expectClean(text, [password, secret, 'bad-password-31337', ...tokens]);
  });

  it('the real stderr of a debug session holds no secret', async () => {
    const raw = rawCloud(DEMO);
    const t = tempClouds({ dbg: raw });
    cleanups.push(t.cleanup);
    const script = path.join(t.dir, 'debug-session.mts');
    writeFileSync(
      script,
      `import { openSession } from ${JSON.stringify(path.join(root, 'src/openstack/connect.ts'))};
const s = await openSession({ cloud: 'dbg', debug: true });
const c = await s.client('compute');
await c.request({ path: '/servers/detail' });
await c.request({ path: '/servers/nope' }).catch((e) => process.stderr.write('ERROR ' + e.message + '\\n'));
process.stdout.write(await s.token());
await s.close();
`,
    );
    const { stdout, stderr } = await run(path.join(root, 'node_modules/.bin/tsx'), [script], { cwd: t.dir, env: { ...process.env, ...t.env }, timeout: 120_000 });
    const token = stdout.trim();
    expect(token.length).toBeGreaterThan(20);
    expect(stderr).toContain('"msg":"authenticated"');
    expect(stderr).toContain('ERROR compute GET http://127.0.0.1:8774/v2.1/servers/nope: 404 Not Found');
    expectClean(stderr, [raw.auth.password!, token]);
  });
});
