// Connection agents. Keystone on the local cloud (uwsgi) answers `Connection: close` and resets
// reused sockets, and other servers may close an idle keep-alive socket at any moment: so
// keep-alive is only an optimisation here, never a dependency. Idle sockets are dropped after a
// short time (before typical server idle limits), and the transport retries a request whose
// reused socket was reset before any answer (see transport.ts).
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { TlsConfig } from '../config/cloud-config.js';
import { ConfigError } from '../errors.js';

/** Idle keep-alive sockets are closed after this long. */
const FREE_SOCKET_TIMEOUT_MS = 2_000;

export interface Agents {
  http: http.Agent;
  https: https.Agent;
  destroy(): void;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${what} ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}); fix the path in clouds.yaml or OS_* variables`, { cause: err });
  }
}

export function createAgents(tls: TlsConfig, keepAlive = true): Agents {
  const common = { keepAlive, timeout: FREE_SOCKET_TIMEOUT_MS, maxSockets: 32, maxFreeSockets: 8, scheduling: 'lifo' as const };
  const httpAgent = new http.Agent(common);
  const httpsAgent = new https.Agent({
    ...common,
    rejectUnauthorized: tls.verify,
    ca: tls.cacert ? readPem(tls.cacert, 'cacert') : undefined,
    cert: tls.cert ? readPem(tls.cert, 'cert') : undefined,
    key: tls.key ? readPem(tls.key, 'key') : undefined,
  });
  return {
    http: httpAgent,
    https: httpsAgent,
    destroy() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
