// A fault-injecting HTTP proxy on 127.0.0.1 for retry tests: it fails the next N requests (HTTP 503,
// HTTP 401 or a connection reset) and forwards every other request unchanged to the real service behind it,
// so the backend under test still talks to the real Swift / S3 API.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** 503: overloaded; reset: connection dropped; 401: token rejected (as when it was revoked). */
export type FaultMode = '503' | 'reset' | '401';

export interface FlakyProxy {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Makes the next `count` requests fail with `mode`. */
  failNext(count: number, mode: FaultMode): void;
  readonly stats: { failed: number; forwarded: number };
  close(): Promise<void>;
}

/** `port`: listen there (e.g. to bring an endpoint back where it was); a free port when left out. */
export async function startFlakyProxy(target: string, port = 0): Promise<FlakyProxy> {
  const t = new URL(target);
  let pending = 0;
  let mode: FaultMode = '503';
  const stats = { failed: 0, forwarded: 0 };
  const agent = new http.Agent({ keepAlive: true });

  const server = http.createServer((req, res) => {
    if (pending > 0) {
      pending--;
      stats.failed++;
      if (mode === 'reset') {
        req.socket.destroy();
        return;
      }
      // Drain the upload first, as a real overloaded proxy would, then refuse it.
      req.resume();
      req.on('end', () => {
        const status = mode === '401' ? 401 : 503;
        res.writeHead(status, { 'Content-Type': 'text/plain', Connection: 'close' });
        res.end(`${status} (injected by the test proxy)`);
      });
      return;
    }
    stats.forwarded++;
    // Headers go through unchanged (Host included: S3 signatures cover it).
    const upstream = http.request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers, agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const boundPort = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${boundPort}`,
    failNext(count, m) {
      pending = count;
      mode = m;
    },
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
