// The HTTP layer against a throwaway node:http server on 127.0.0.1: retries, Retry-After,
// connection resets, refused connections, timeouts, error bodies, streaming, 401 re-auth.
import http from 'node:http';
import { inspect } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { AddressInfo, Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAgents } from '../../src/http/agents.js';
import { ConflictError, NotFoundError, ServerError, TimeoutError, UnauthorizedError, UnreachableError, RateLimitedError } from '../../src/http/errors.js';
import { HttpServiceClient, type TokenSource } from '../../src/http/service-client.js';
import { Transport } from '../../src/http/transport.js';
import { createLogger } from '../../src/log/logger.js';
import { createOnce } from '../../services/common/create-once.js';
import { PermafrostError } from '../../src/errors.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

let server: http.Server;
let base: string;
let handler: Handler;
let count = 0;
const sockets = new Set<Socket>();
const logLines: string[] = [];
const logger = createLogger({
  debug: true,
  destination: new Writable({
    write(c, _e, cb) {
      logLines.push(String(c));
      cb();
    },
  }),
});
const agents = createAgents({ verify: true }, true);
const fast = { limit: 3, baseDelayMs: 20, maxDelayMs: 100, maxRetryAfterMs: 5000 };
const transport = new Transport({ agents, logger, retryPolicy: fast });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    count++;
    handler(req, res, count);
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  agents.destroy();
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});
afterEach(() => {
  count = 0;
  logLines.length = 0;
});

const req = (path: string, extra: Partial<Parameters<Transport['send']>[0]> = {}) => ({
  service: 'compute',
  method: 'GET',
  url: `${base}${path}`,
  headers: { Accept: 'application/json' },
  timeoutMs: 5000,
  ...extra,
});

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'x-openstack-request-id': `req-${count}`, ...headers });
  res.end(JSON.stringify(body));
}

describe('retries', () => {
  it('retries a GET on 5xx until it succeeds', async () => {
    handler = (_q, res, n) => (n < 3 ? json(res, 503, { computeFault: { message: 'busy' } }) : json(res, 200, { ok: true }));
    const res = await transport.send(req('/x'));
    expect(res.statusCode).toBe(200);
    expect(count).toBe(3);
    expect(res.requestId).toBe('req-3');
    expect(logLines.join('')).toContain('retrying request');
  });

  it('gives up after the limit with a ServerError carrying the message and request id', async () => {
    handler = (_q, res) => json(res, 500, { computeFault: { message: 'Unexpected API Error.' } });
    const err = await transport.send(req('/x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).message).toContain('Unexpected API Error.');
    expect((err as ServerError).requestId).toBe('req-4');
    expect(count).toBe(4);
  });

  it('honours Retry-After on 429', async () => {
    handler = (_q, res, n) => (n === 1 ? json(res, 429, { message: 'slow down' }, { 'Retry-After': '1' }) : json(res, 200, {}));
    const t0 = Date.now();
    await transport.send(req('/x'));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(count).toBe(2);
  });

  it('reports RateLimitedError when 429 persists', async () => {
    handler = (_q, res) => json(res, 429, { message: 'over limit' }, { 'Retry-After': '0' });
    await expect(transport.send(req('/x'))).rejects.toBeInstanceOf(RateLimitedError);
  });

  it('does not retry a POST on 5xx', async () => {
    handler = (_q, res) => json(res, 503, { message: 'down' });
    await expect(transport.send(req('/x', { method: 'POST', json: {} }))).rejects.toBeInstanceOf(ServerError);
    expect(count).toBe(1);
  });

  it('retries a GET whose connection is reset', async () => {
    handler = (q, res, n) => (n === 1 ? q.socket.destroy() : json(res, 200, { n }));
    const res = await transport.send(req('/x'));
    expect(JSON.parse(res.rawBody.toString())).toEqual({ n: 2 });
  });

  it('repeats even a POST when a reused keep-alive socket is reset before an answer', async () => {
    const served = new WeakSet<Socket>();
    let resets = 0;
    handler = (q, res) => {
      if (served.has(q.socket) && resets === 0) {
        resets++;
        q.socket.destroy(); // the server dropped the idle connection just as it was reused
        return;
      }
      served.add(q.socket);
      json(res, 201, { ok: true });
    };
    await transport.send(req('/warm', { method: 'POST', json: {}, okStatus: [201] }));
    const res = await transport.send(req('/again', { method: 'POST', json: {}, okStatus: [201] }));
    expect(res.statusCode).toBe(201);
    expect(resets).toBe(1);
    expect(count).toBe(3);
  });

  it('does not repeat a create sent without retries when its reused socket is reset after the service made it: createOnce adopts it', async () => {
    const served = new WeakSet<Socket>();
    const made: string[] = [];
    handler = (q, res) => {
      if (q.url === '/things?name=t1') return json(res, 200, { things: made.map((id) => ({ id, name: 't1' })) });
      if (!served.has(q.socket)) {
        served.add(q.socket);
        return json(res, 201, { ok: true });
      }
      made.push(`thing-${made.length + 1}`);
      q.socket.destroy(); // processed, then the answer is lost on a reused connection
    };
    await transport.send(req('/warm', { method: 'POST', json: {}, okStatus: [201] }));
    const id = await createOnce({
      create: async () => {
        await transport.send(req('/things', { method: 'POST', json: { name: 't1' }, okStatus: [201], retry: false }));
        return 'unexpected';
      },
      find: async () => JSON.parse((await transport.send(req('/things?name=t1'))).rawBody.toString()).things[0]?.id as string | undefined,
      pauseMs: 1,
    });
    expect(id).toBe('thing-1');
    expect(made).toEqual(['thing-1']);
  });

  it('turns a refused connection into UnreachableError after retries', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const err = await transport.send({ ...req('/'), url: `http://127.0.0.1:${port}/` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as UnreachableError).code).toBe('ECONNREFUSED');
    expect((err as UnreachableError).exitCode).toBe(7);
    // Printing the error in full (cause included) must not show the request's token.
    const withToken = await transport
      .send({ ...req('/'), url: `http://127.0.0.1:${port}/`, headers: { 'X-Auth-Token': 'tok-never-printed-123' }, retry: false })
      .catch((e: unknown) => e);
    expect(inspect(withToken, { depth: 20 })).not.toContain('tok-never-printed-123');
    expect(((withToken as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('an upload slower than the timeout overall but never silent that long succeeds', async () => {
    handler = (q, res) => {
      let size = 0;
      q.on('data', (c: Buffer) => (size += c.length));
      q.on('end', () => json(res, 201, { size }));
    };
    const body = Readable.from(
      (async function* () {
        for (let i = 0; i < 6; i++) {
          await new Promise((r) => setTimeout(r, 100));
          yield Buffer.alloc(1000, i);
        }
      })(),
    );
    const res = await transport.send(req('/upload', { method: 'PUT', body, timeoutMs: 400, okStatus: [201] }));
    expect(JSON.parse(res.rawBody.toString())).toEqual({ size: 6000 });
    expect(count).toBe(1);
  });

  it('times out with TimeoutError', async () => {
    handler = (_q, res) => setTimeout(() => json(res, 200, {}), 1500);
    const err = await transport.send(req('/slow', { timeoutMs: 100, retry: false })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toContain('no answer within 100 ms');
  });
});

describe('status errors and streams', () => {
  it('maps 404/409 with the service message, no retry', async () => {
    handler = (_q, res) => json(res, 404, { itemNotFound: { message: 'Instance abc could not be found.', code: 404 } });
    const err = await transport.send(req('/servers/abc')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).serviceMessage).toBe('Instance abc could not be found.');
    expect(count).toBe(1);
    handler = (_q, res) => json(res, 409, { conflictingRequest: { message: 'in use' } });
    await expect(transport.send(req('/x', { method: 'DELETE' }))).rejects.toBeInstanceOf(ConflictError);
  });

  it('streams a large body without buffering it', async () => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    handler = (_q, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      let i = 0;
      const push = () => {
        while (i < 160) {
          i++;
          if (!res.write(chunk)) return res.once('drain', push);
        }
        res.end();
      };
      push();
    };
    const { stream, statusCode } = await transport.stream(req('/file'));
    expect(statusCode).toBe(200);
    let size = 0;
    let chunks = 0;
    for await (const c of stream) {
      size += (c as Buffer).length;
      chunks++;
    }
    expect(size).toBe(160 * 64 * 1024);
    expect(chunks).toBeGreaterThan(1);
  });

  it('downloads the stored bytes as they are, even with Content-Encoding: gzip', async () => {
    const gz = gzipSync(Buffer.from('hello '.repeat(100)));
    handler = (_q, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip', 'Content-Length': String(gz.length) });
      res.end(gz);
    };
    const { stream } = await transport.stream(req('/obj'));
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(gz)).toBe(true);
  });

  it('retries a download whose connection is reset before the answer', async () => {
    handler = (q, res, n) => {
      if (n === 1) return q.socket.destroy();
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.end(Buffer.alloc(1000, 1));
    };
    const { stream } = await transport.stream(req('/file'));
    let size = 0;
    for await (const c of stream) size += (c as Buffer).length;
    expect(size).toBe(1000);
    expect(count).toBe(2);
  });

  it('a connection lost in the middle of a download fails the stream with a typed error', async () => {
    handler = (_q, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': '100000' });
      res.write(Buffer.alloc(10_000, 1), () => setTimeout(() => res.socket?.destroy(), 50));
    };
    const { stream } = await transport.stream(req('/file'));
    const err = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermafrostError);
    expect((err as Error).message).toMatch(/^compute GET http:\/\/127\.0\.0\.1:\d+\/file: cannot connect/);
  });

  it('a failed download rejects with the typed error and message', async () => {
    handler = (_q, res) => {
      res.writeHead(404, { 'Content-Type': 'text/html' });
      res.end('<html><body><h1>404 Not Found</h1>No image found with ID x<br /><br /></body></html>');
    };
    const err = await transport.stream(req('/v2/images/x/file')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).serviceMessage).toBe('No image found with ID x');
  });
});

describe('service client', () => {
  class CountingTokens implements TokenSource {
    current = 'token-1-abcdef';
    reauths = 0;
    async token() {
      return this.current;
    }
    async reauthenticate(stale: string) {
      if (stale === this.current) {
        this.reauths++;
        this.current = `token-${this.reauths + 1}-abcdef`;
      }
      return this.current;
    }
  }

  it('re-authenticates exactly once on a 401 and repeats the call once', async () => {
    const tokens = new CountingTokens();
    handler = (q, res) => (q.headers['x-auth-token'] === 'token-2-abcdef' ? json(res, 200, { servers: [] }) : json(res, 401, { error: { message: 'expired' } }));
    const client = new HttpServiceClient({ serviceType: 'compute', endpoint: `${base}/v2.1/`, transport, tokens, logger, defaultTimeoutMs: 5000 });
    const res = await client.request<{ servers: unknown[] }>({ path: '/servers' });
    expect(res.body).toEqual({ servers: [] });
    expect(tokens.reauths).toBe(1);
    expect(count).toBe(2);

    handler = (_q, res) => json(res, 401, { error: { message: 'The request you have made requires authentication.' } });
    count = 0;
    const err = await client.request({ path: '/servers' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(tokens.reauths).toBe(2);
    expect(count).toBe(2);
    expect((err as Error).message).toContain('requires authentication');
  });

  it('re-authenticates once when a download gets a 401', async () => {
    const tokens = new CountingTokens();
    handler = (q, res) => {
      if (q.headers['x-auth-token'] !== 'token-2-abcdef') return json(res, 401, { error: { message: 'expired' } });
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.end('payload');
    };
    const client = new HttpServiceClient({ serviceType: 'image', endpoint: base, transport, tokens, logger, defaultTimeoutMs: 5000 });
    const { stream } = await client.download({ path: '/v2/images/x/file' });
    let text = '';
    for await (const c of stream) text += String(c);
    expect(text).toBe('payload');
    expect(tokens.reauths).toBe(1);
  });

  it('sends extra headers, never logs the token', async () => {
    handler = (q, res) => json(res, 200, { got: q.headers['openstack-api-version'], url: q.url });
    const client = new HttpServiceClient({
      serviceType: 'compute',
      endpoint: `${base}/v2.1`,
      transport,
      tokens: new CountingTokens(),
      logger,
      defaultTimeoutMs: 5000,
      microversion: '2.79',
      extraHeaders: { 'OpenStack-API-Version': 'compute 2.79' },
    });
    const res = await client.request<{ got: string; url: string }>({ path: 'servers/detail', searchParams: { limit: 2, marker: undefined } });
    expect(res.body).toEqual({ got: 'compute 2.79', url: '/v2.1/servers/detail?limit=2' });
    expect(logLines.join('')).not.toContain('token-1-abcdef');
    expect(logLines.join('')).toContain('"X-Auth-Token":"***"');
  });
});

describe('downloads cut mid-body', () => {
  const body = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251));
  const client = () => new HttpServiceClient({ serviceType: 'image', endpoint: base, transport, logger, defaultTimeoutMs: 5000 });
  const readAll = async (stream: Readable) => {
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(c as Buffer);
    return Buffer.concat(parts);
  };
  /** Serves `body` (honouring Range when `ranges`), cutting the connection after `cutAfter` bytes on the first `cuts` answers. */
  const serve = (opts: { ranges: boolean; cuts: number; cutAfter: number; etag?: (n: number) => string }) => {
    const ranges: string[] = [];
    handler = (q, res, n) => {
      const range = /^bytes=(\d+)-$/.exec(String(q.headers.range ?? ''));
      ranges.push(String(q.headers.range ?? ''));
      const start = opts.ranges && range ? Number(range[1]) : 0;
      const part = body.subarray(start);
      const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(part.length), ETag: opts.etag?.(n) ?? '"v1"' };
      if (start > 0) res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` });
      else res.writeHead(200, headers);
      if (n > opts.cuts) return res.end(part);
      res.write(part.subarray(0, opts.cutAfter), () => setTimeout(() => res.socket?.destroy(), 20));
    };
    return ranges;
  };

  it('resumes with a range request from where the cut happened, byte-identical', async () => {
    const ranges = serve({ ranges: true, cuts: 2, cutAfter: 50_000 });
    const { stream } = await client().download({ path: '/v2/images/x/file' });
    expect((await readAll(stream)).equals(body)).toBe(true);
    expect(ranges[0]).toBe('');
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(count).toBe(3);
  });

  it('reads past the bytes already delivered when the server ignores the range', async () => {
    serve({ ranges: false, cuts: 1, cutAfter: 70_000 });
    const { stream } = await client().download({ path: '/v2/images/x/file' });
    expect((await readAll(stream)).equals(body)).toBe(true);
    expect(count).toBe(2);
  });

  it('fails with the cut when the entity changed meanwhile (another ETag)', async () => {
    serve({ ranges: true, cuts: 1, cutAfter: 50_000, etag: (n) => `"v${n}"` });
    const { stream } = await client().download({ path: '/v2/images/x/file' });
    const err = await readAll(stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
  });

  it('leaves a caller that retries on its own (retry: false) with the cut', async () => {
    serve({ ranges: true, cuts: 1, cutAfter: 50_000 });
    const { stream } = await client().download({ path: '/v2/images/x/file', retry: false });
    expect(await readAll(stream).catch((e: unknown) => e)).toBeInstanceOf(UnreachableError);
    expect(count).toBe(1);
  });
});

describe('a 401 on a stream upload', () => {
  it('re-authenticates and leaves the repeat to the caller, who can open the stream again', async () => {
    const tokens = { current: 'token-1-abcdef', reauths: 0, async token() { return this.current; }, async reauthenticate(stale: string) { if (stale === this.current) this.current = `token-${++this.reauths + 1}-abcdef`; return this.current; } };
    handler = (q, res) => {
      q.resume();
      q.on('end', () => (q.headers['x-auth-token'] === 'token-2-abcdef' ? json(res, 201, {}) : json(res, 401, { error: { message: 'expired' } })));
    };
    const client = new HttpServiceClient({ serviceType: 'object-store', endpoint: base, transport, tokens, logger, defaultTimeoutMs: 5000 });
    const upload = () => client.request({ method: 'PUT', path: '/c/o', body: Readable.from([Buffer.from('data')]), retry: false });
    expect(await upload().catch((e: unknown) => e)).toBeInstanceOf(UnauthorizedError);
    expect(tokens.reauths).toBe(1);
    expect((await upload()).statusCode).toBe(201);
  });
});
