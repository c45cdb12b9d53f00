// The process-wide logger: pino on stderr (stdout stays free for command output such as
// `--json` documents and tar bundles). Plain lines by default; `--debug` lowers the level to
// debug and switches to JSON lines (one per HTTP call, with request IDs). Every
// record passes through the secret scrubber, so a caller that logs a header map, a config
// object or an error by mistake still cannot leak a password or a token.
import { pino, type Logger, type DestinationStream } from 'pino';
import { humanDestination } from './human-destination.js';
import { scrubText, scrubValue } from './secrets.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  debug?: boolean;
  /** JSON lines even without debug (default: plain lines for a person, JSON with --debug). */
  json?: boolean;
  /** Where to write (tests capture the stream); default stderr. */
  destination?: DestinationStream | NodeJS.WritableStream;
}

/** Creates a logger; use `getLogger()` for the shared one. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const destination = opts.destination ?? (opts.debug || opts.json ? pino.destination({ fd: 2, sync: true }) : humanDestination(2));
  return pino(
    {
      level: opts.debug ? 'debug' : 'warn',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      // Path-based redaction catches the common shapes cheaply...
      redact: {
        paths: [
          'password',
          '*.password',
          'auth.password',
          'auth.application_credential_secret',
          'headers["x-auth-token"]',
          'headers["x-subject-token"]',
          'headers.authorization',
          'token',
          '*.token',
        ],
        censor: '***',
      },
      formatters: {
        // ...and the value scrubber catches the rest (secrets inside strings, nested keys).
        log: (obj) => scrubValue(obj) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubText(a) : a));
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    destination as DestinationStream,
  );
}

let shared: Logger | undefined;

/** The shared logger (created on first use, warn level on stderr). */
export function getLogger(): Logger {
  shared ??= createLogger();
  return shared;
}

/** Replaces the shared logger (the CLI calls this once with `--debug`; tests pass a capture). */
export function setLogger(logger: Logger): void {
  shared = logger;
}

/** Reconfigures the shared logger for `--debug`. */
export function configureLogging(opts: LoggerOptions): Logger {
  shared = createLogger(opts);
  return shared;
}
