// Every failure a user can cause ends as a PermafrostError: a message that names the cause and
// what to do, and one of the documented exit codes below (README "Exit codes").
export const ExitCode = {
  ok: 0,
  /** Unexpected internal error (a bug): please report it. */
  internal: 1,
  /** Command-line usage error: unknown option, missing argument. */
  usage: 2,
  /** Some resources failed, the others were processed ("partial" run). */
  partial: 3,
  /** Bad configuration: clouds.yaml, environment, mapping or plan file. */
  config: 4,
  /** Authentication failed: wrong password, expired or revoked credentials. */
  auth: 5,
  /** Permission denied by the cloud or the storage backend. */
  forbidden: 6,
  /** An endpoint or storage backend could not be reached. */
  unreachable: 7,
  /** Repository problem: wrong repository password, missing or locked repository. */
  repository: 8,
  /** Repository data is corrupted (check found errors). */
  corrupted: 9,
  /** Not found: snapshot, resource, project, file. */
  notFound: 10,
  /** No space left on the destination (disk full, quota exceeded). */
  noSpace: 11,
  /** The restore preflight found mappings that cannot be satisfied; nothing was changed. */
  preflight: 12,
  /** Another run holds the lock of the same project (a backup of it is in progress elsewhere). */
  busy: 13,
  /** Interrupted by a signal. */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class PermafrostError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.internal,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PermafrostError';
  }
}

export class ConfigError extends PermafrostError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.config, options);
    this.name = 'ConfigError';
  }
}

export class UsageError extends PermafrostError {
  constructor(message: string) {
    super(message, ExitCode.usage);
    this.name = 'UsageError';
  }
}
