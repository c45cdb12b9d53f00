// Without --debug, warnings and errors are for a person: one plain line each on stderr
// (`permafrost: warning: <message> (key=value ...)`) instead of pino's JSON.
import { writeSync } from 'node:fs';

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** Formats one pino JSON record as a human line. */
export function humanLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = LEVELS[Number(rec.level)] ?? 'log';
  const details = Object.entries(rec)
    .filter(([k, v]) => !HIDDEN.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const msg = typeof rec.msg === 'string' ? rec.msg : '';
  return `permafrost: ${level}: ${msg}${details.length ? ` (${details.join(', ')})` : ''}\n`;
}

/** A pino destination writing human lines to a file descriptor (stderr by default). */
export function humanDestination(fd = 2): { write(chunk: string): void } {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) writeSync(fd, humanLine(line));
    },
  };
}
