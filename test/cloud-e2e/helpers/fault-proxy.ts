// A fault-injecting reverse proxy for whole permafrost runs against the real local cloud. It
// listens in front of Keystone and rewrites the service catalog of every token it hands out, so
// that Nova, Cinder, Glance, Neutron and Swift (and Swift's S3 API on the same port) are reached
// through listeners of their own. Each request passes unchanged (Host included: S3 signatures
// cover it) unless a seeded PRNG picks it for a fault:
//
//   5xx     503/500/502 before the service sees the request; for a POST, half of them only after
//           the service processed it (the answer is lost: the create may have happened)
//   429     with Retry-After: 1
//   reset   the connection is cut mid-body: while the request body is uploaded, or after the
//           answer's headers and part of its body
//   stall   no answer for `stallMs` (longer than the client's timeout), then the connection is cut
//   401     a token in use expires: this request and every later one with that token get 401, so
//           the client must re-authenticate (a token expires only after some seconds of use, as
//           a real one does, so a fresh token is never refused on its first use)
//
// Faults are counted per service and kind. `rate` is a floor per service: besides the random
// picks, a service that went 1/rate requests without a fault gets one.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultKind = '5xx' | '429' | 'reset' | 'stall' | '401';
export const FAULT_KINDS: readonly FaultKind[] = ['5xx', '429', 'reset', 'stall', '401'];

export interface FaultProxyOptions {
  /** Keystone, e.g. `http://127.0.0.1:5000` (the proxy's auth URL is its `url` + the same path). */
  keystone: string;
  /** Share of requests that get a fault, per service (0..1). */
  rate: number;
  seed: number;
  /** How long a stall holds a request before cutting it (longer than the client's timeout). */
  stallMs: number;
  /** Relative weights of the kinds (default: stalls rarer, they cost the most time). */
  weights?: Partial<Record<FaultKind, number>>;
}

export interface ServiceStats {
  requests: number;
  faults: Record<FaultKind, number>;
}

export interface FaultProxy {
  /** The proxy of Keystone: `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Per service (`identity`, `compute`, `volumev3`, `image`, `network`, `object-store`, `s3`). */
  readonly stats: Map<string, ServiceStats>;
  /** Turns injection on or off (set-up and checks of the test pass unharmed). */
  enabled: boolean;
  /** The proxy's URL for another upstream origin (e.g. Swift's S3 API before any catalog named it). */
  route(upstream: string, service: string): Promise<string>;
  close(): Promise<void>;
}

/** mulberry32: a small seeded PRNG, so that a failing run can be repeated with the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A token expires only after this long in use. */
const TOKEN_MIN_AGE_MS = 5000;
const DEFAULT_WEIGHTS: Record<FaultKind, number> = { '5xx': 3, '429': 2, reset: 3, stall: 1, '401': 2 };
/** Catalog types that name one service (Cinder is listed twice, as volumev3 and block-storage). */
const CANONICAL: Record<string, string> = { 'block-storage': 'volumev3', volume: 'volumev3', volumev2: 'volumev3' };

interface Listener {
  server: http.Server;
  upstream: URL;
  service: string;
  origin: string;
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const random = seededRandom(opts.seed);
  const weights = { ...DEFAULT_WEIGHTS, ...opts.weights };
  const stats = new Map<string, ServiceStats>();
  const sinceFault = new Map<string, number>();
  const listeners = new Map<string, Listener>(); // by upstream origin
  const pending = new Map<string, Promise<Listener>>();
  const agent = new http.Agent({ keepAlive: true });
  const state = { enabled: true };
  /** When each token was first seen, and the tokens made to expire. */
  const tokensSeen = new Map<string, number>();
  const expired = new Set<string>();

  const statsOf = (service: string): ServiceStats => {
    let s = stats.get(service);
    if (!s) stats.set(service, (s = { requests: 0, faults: { '5xx': 0, '429': 0, reset: 0, stall: 0, '401': 0 } }));
    return s;
  };

  /** The fault for this request, if any. */
  const pickFault = (service: string, req: http.IncomingMessage): FaultKind | undefined => {
    if (!state.enabled) return undefined;
    const s = statsOf(service);
    s.requests++;
    const since = (sinceFault.get(service) ?? 0) + 1;
    const draw = random();
    if (draw >= opts.rate && since < Math.ceil(1 / opts.rate)) {
      sinceFault.set(service, since);
      return undefined;
    }
    // A token expires only after it was used for a while (not the token request itself, nor S3).
    const token = tokenOf(req);
    const kinds = FAULT_KINDS.filter((k) => k !== '401' || (token !== undefined && Date.now() - (tokensSeen.get(token) ?? Date.now()) >= TOKEN_MIN_AGE_MS));
    const total = kinds.reduce((n, k) => n + weights[k], 0);
    let x = random() * total;
    let kind = kinds[kinds.length - 1]!;
    for (const k of kinds) {
      if ((x -= weights[k]) < 0) {
        kind = k;
        break;
      }
    }
    sinceFault.set(service, 0);
    s.faults[kind]++;
    if (kind === '401') expired.add(token!);
    return kind;
  };

  /** A proxy origin for an upstream origin (started on first sight in a catalog). */
  const listenerFor = (upstream: string, service: string): Promise<Listener> => {
    const origin = new URL(upstream).origin;
    const existing = pending.get(origin);
    if (existing) return existing;
    const started = startListener(new URL(origin), service);
    pending.set(origin, started);
    return started;
  };

  /** Every catalog URL of a token answer, pointed at the proxy (new listeners started as needed). */
  const rewriteCatalog = async (text: string): Promise<string> => {
    let doc: { token?: { catalog?: Array<{ type: string; endpoints: Array<{ url: string }> }> } };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch {
      return text;
    }
    for (const entry of doc.token?.catalog ?? []) {
      for (const ep of entry.endpoints) await listenerFor(ep.url, CANONICAL[entry.type] ?? entry.type);
    }
    return rewriteOrigins(text);
  };

  const rewriteOrigins = (text: string): string => {
    let out = text;
    for (const l of listeners.values()) out = out.split(l.upstream.origin).join(l.origin);
    return out;
  };

  const serviceOf = (l: Listener, req: http.IncomingMessage): string => {
    if (l.service !== 'object-store') return l.service;
    const auth = String(req.headers.authorization ?? '');
    return auth.startsWith('AWS') || !(req.url ?? '').startsWith('/v1/') && !(req.url ?? '').startsWith('/info') ? 's3' : 'object-store';
  };

  const startListener = async (upstream: URL, service: string): Promise<Listener> => {
    const server = http.createServer();
    const listener: Listener = { server, upstream, service, origin: '' };
    server.on('request', (req, res) => handle(listener, req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    listener.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    listeners.set(upstream.origin, listener);
    return listener;
  };

  const refuse = (req: http.IncomingMessage, res: http.ServerResponse, status: number, headers: Record<string, string> = {}) => {
    req.resume();
    const answer = () => {
      if (res.destroyed) return;
      const body = JSON.stringify({ error: { code: status, message: `${status} injected by the fault proxy` } });
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
      res.end(body);
    };
    if (req.complete) answer();
    else req.on('end', answer);
  };

  const handle = (l: Listener, req: http.IncomingMessage, res: http.ServerResponse) => {
    // a client that gives up (its own timeout) aborts its request: nothing to do but let it go
    req.on('error', () => res.destroy());
    res.on('error', () => undefined);
    const service = serviceOf(l, req);
    const token = tokenOf(req);
    if (token !== undefined && !tokensSeen.has(token)) tokensSeen.set(token, Date.now());
    if (token !== undefined && expired.has(token) && state.enabled) {
      const s = statsOf(service);
      s.requests++;
      s.faults['401']++;
      return refuse(req, res, 401, { 'WWW-Authenticate': 'Keystone uri="expired"' });
    }
    const fault = pickFault(service, req);
    const method = (req.method ?? 'GET').toUpperCase();
    const hasBody = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) > 0 : req.headers['transfer-encoding'] !== undefined;
    switch (fault) {
      case '429':
        return refuse(req, res, 429, { 'Retry-After': '1' });
      case '401':
        return refuse(req, res, 401, { 'WWW-Authenticate': 'Keystone uri="injected"' });
      case 'stall': {
        const timer = setTimeout(() => req.socket.destroy(), opts.stallMs);
        req.socket.once('close', () => clearTimeout(timer));
        req.resume();
        return;
      }
      case '5xx':
        if (method === 'POST' && random() < 0.5) return forward(l, service, req, res, 'lose-answer');
        return refuse(req, res, [503, 500, 502][Math.floor(random() * 3)]!);
      case 'reset':
        if (hasBody && random() < 0.5) {
          // cut while the body is uploading: after a part of it arrived
          let seen = 0;
          const cutAt = Math.floor(random() * 64 * 1024);
          req.on('data', (c: Buffer) => {
            seen += c.length;
            if (seen >= cutAt) req.socket.destroy();
          });
          req.on('end', () => req.socket.destroy());
          return;
        }
        return forward(l, service, req, res, 'cut-body');
      default:
        return forward(l, service, req, res, undefined);
    }
  };

  const forward = (l: Listener, service: string, req: http.IncomingMessage, res: http.ServerResponse, damage: 'lose-answer' | 'cut-body' | undefined) => {
    const upstream = http.request(
      { host: l.upstream.hostname, port: l.upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (up) => {
        up.on('error', () => res.destroy());
        if (damage === 'lose-answer') {
          up.resume();
          up.on('end', () => refuse(req, res, 502));
          return;
        }
        const headers = { ...up.headers };
        if (typeof headers.location === 'string') headers.location = rewriteOrigins(headers.location);
        // Keystone's token answers carry the catalog; the other services build their links from
        // the Host header, which names the proxy already.
        const json = service === 'identity' && /json/i.test(String(headers['content-type'] ?? '')) && !headers['content-encoding'];
        if (json) {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            void (async () => {
              const text = Buffer.concat(chunks).toString('utf8');
              const body = Buffer.from(await rewriteCatalog(text));
              delete headers['transfer-encoding'];
              headers['content-length'] = String(body.length);
              res.writeHead(up.statusCode ?? 502, headers);
              if (damage === 'cut-body') return cutAfter(res, body, Math.floor(random() * body.length));
              res.end(body);
            })().catch(() => res.destroy());
          });
          return;
        }
        res.writeHead(up.statusCode ?? 502, headers);
        if (damage !== 'cut-body') {
          up.pipe(res);
          return;
        }
        // cut somewhere in the first part of the body (or right after the headers for small ones)
        const length = Number(up.headers['content-length'] ?? 4 * 1024 * 1024);
        let left = Math.floor(random() * Math.min(length, 16 * 1024 * 1024));
        up.on('data', (c: Buffer) => {
          if (left <= 0) return;
          if (c.length >= left) {
            res.write(c.subarray(0, left), () => res.socket?.destroy());
            left = 0;
            up.destroy();
            return;
          }
          left -= c.length;
          res.write(c);
        });
        up.on('end', () => res.socket?.destroy());
        if (left === 0) {
          res.flushHeaders();
          res.socket?.destroy();
          up.destroy();
        }
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };

  const keystone = await listenerFor(opts.keystone, 'identity');
  return {
    url: keystone.origin,
    stats,
    route: async (upstream, service) => (await listenerFor(upstream, service)).origin,
    get enabled() {
      return state.enabled;
    },
    set enabled(v: boolean) {
      state.enabled = v;
    },
    close: async () => {
      agent.destroy();
      await Promise.all(
        [...listeners.values()].map(
          (l) =>
            new Promise<void>((resolve) => {
              l.server.closeAllConnections();
              l.server.close(() => resolve());
            }),
        ),
      );
    },
  };
}

function tokenOf(req: http.IncomingMessage): string | undefined {
  const t = req.headers['x-auth-token'];
  return Array.isArray(t) ? t[0] : t;
}

function cutAfter(res: http.ServerResponse, body: Buffer, at: number): void {
  res.write(body.subarray(0, at), () => res.socket?.destroy());
}
