// Log-like text for the benchmark image: syslog/nginx/postgres/application lines with advancing
// timestamps, varying numbers and identifiers, so it compresses the way real logs do (well, but
// not trivially) and never repeats whole blocks.
import { Prng } from './prng.js';

const HOSTS = ['web-01', 'web-02', 'web-07', 'db-02', 'cache-1', 'worker-3', 'lb-1', 'api-4'];
const USERS = ['alice', 'bob', 'carol', 'deploy', 'backup', 'svc-orders', 'svc-billing', 'root'];
const PATHS = ['/api/v2/orders', '/api/v2/customers', '/static/app.js', '/login', '/api/v1/search', '/healthz', '/metrics'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const STATUSES = [200, 200, 200, 200, 201, 204, 301, 304, 400, 403, 404, 500, 502];
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'curl/7.88.1',
  'python-requests/2.31.0',
  'Go-http-client/1.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15',
];
const LEVELS = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR'];
const ACTIONS = ['checkout', 'login', 'logout', 'search', 'add_to_cart', 'refund', 'export', 'sync'];
const HEX = '0123456789abcdef';

function ip(r: Prng): string {
  return `10.${r.int(0, 31)}.${r.int(0, 255)}.${r.int(1, 254)}`;
}

function hex(r: Prng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[r.nextU32() & 15];
  return s;
}

/** One log line without its timestamp (`host program[pid]: message\n`). */
function lineBody(r: Prng): string {
  const host = r.pick(HOSTS);
  switch (r.int(0, 4)) {
    case 0:
      return `${host} nginx[${r.int(900, 2999)}]: ${ip(r)} - - "${r.pick(METHODS)} ${r.pick(PATHS)}/${r.int(1, 99999)}?page=${r.int(1, 40)} HTTP/1.1" ${r.pick(STATUSES)} ${r.int(120, 90000)} "-" "${r.pick(AGENTS)}" rt=0.${String(r.int(1, 999)).padStart(3, '0')}\n`;
    case 1:
      return `${host} postgres[${r.int(300, 999)}]: LOG:  duration: ${r.int(0, 400)}.${r.int(100, 999)} ms  statement: SELECT id, status, total FROM orders WHERE customer_id = ${r.int(1, 200000)} AND status = '${r.pick(['open', 'paid', 'shipped'])}' LIMIT ${r.int(1, 100)}\n`;
    case 2:
      return `${host} sshd[${r.int(10000, 65000)}]: Accepted publickey for ${r.pick(USERS)} from ${ip(r)} port ${r.int(30000, 65000)} ssh2: ED25519 SHA256:${hex(r, 43)}\n`;
    case 3:
      return `${host} kernel: [${r.int(1000, 999999)}.${r.int(100000, 999999)}] ${r.pick(['EXT4-fs (vda1): re-mounted. Opts: errors=remount-ro', 'TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.', 'oom_reaper: reaped process', 'audit: type=1400 apparmor="ALLOWED" operation="open"'])} pid=${r.int(100, 65000)}\n`;
    default:
      return `${host} app[${r.int(1000, 9999)}]: ${r.pick(LEVELS)} request_id=${hex(r, 16)} user=${r.pick(USERS)} action=${r.pick(ACTIONS)} items=${r.int(0, 20)} total=${r.int(0, 9999)}.${r.int(10, 99)} latency_ms=${r.int(1, 900)}\n`;
  }
}

/**
 * A pool of distinct line bodies. Building every line from scratch in JS is far too slow for GiBs;
 * picking pool lines in random order behind fresh timestamps is fast and still never
 * repeats a block (a 4 KiB block holds ~30 lines drawn from 65 536).
 */
export function buildLinePool(seed: string, count = 65_536): Buffer[] {
  const r = new Prng(`${seed}/log-pool`);
  const pool: Buffer[] = [];
  for (let i = 0; i < count; i++) pool.push(Buffer.from(lineBody(r), 'latin1'));
  return pool;
}

/** Writes log lines for one text extent, with a virtual clock starting at `startMs`. */
export class LogTextGenerator {
  private clockMs: number;
  private minuteStart = -1;
  private minutePrefix = '';

  constructor(
    private readonly pool: Buffer[],
    private readonly rng: Prng,
    startMs: number,
  ) {
    this.clockMs = startMs;
  }

  /** `2026-01-01T00:00:12.345Z ` — the minute prefix is formatted once per virtual minute. */
  private timestamp(): string {
    const minute = Math.floor(this.clockMs / 60_000) * 60_000;
    if (minute !== this.minuteStart) {
      this.minuteStart = minute;
      this.minutePrefix = new Date(minute).toISOString().slice(0, 17);
    }
    const ms = this.clockMs - minute;
    const sec = Math.floor(ms / 1000);
    const milli = ms % 1000;
    return `${this.minutePrefix}${sec < 10 ? '0' : ''}${sec}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z `;
  }

  /** Exactly `length` bytes of log text (the last line is cut where the extent ends). */
  take(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    let pos = 0;
    while (pos < length) {
      this.clockMs += this.rng.nextU32() % 41;
      pos += out.write(this.timestamp(), pos, 'latin1');
      if (pos >= length) break;
      const line = this.pool[this.rng.nextU32() & (this.pool.length - 1)];
      pos += line.copy(out, pos);
    }
    return out;
  }
}
