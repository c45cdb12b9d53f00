// The option definitions every command shares, in one place, so that the command line has one
// grammar: the repository (-r/--repo, PERMAFROST_REPOSITORY), its password sources, and the
// output formats (--json: the result as one JSON document on stdout; --json-events: the event
// stream; -f json|table|value as in the openstack CLI).
import { Option, type Command } from 'commander';

export const REPOSITORY_ENV = 'PERMAFROST_REPOSITORY';
/** Older name of PERMAFROST_REPOSITORY, still read (with a note on stderr). */
export const DEPRECATED_REPOSITORY_ENV = 'PERMAFROST_REPO';
export const OUTPUT_FORMATS = ['json', 'table', 'value'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface RepoOptionsSpec {
  /** The command can open a repository with only the registered public key (backups). */
  writeOnly?: boolean;
  /** The command works without a repository too (cleanup). */
  optional?: boolean;
}

export function addRepoOptions(cmd: Command, spec: RepoOptionsSpec = {}): Command {
  const what = spec.optional ? 'repository the backups write to (optional: their run locks show which runs are alive)' : 'repository';
  cmd
    .option('-r, --repo <url>', `${what}: a path, file:///path, swift://CONTAINER/PREFIX?cloud=NAME or s3://BUCKET/PREFIX (env ${REPOSITORY_ENV})`)
    .option('--password-file <file>', 'read the repository password from FILE (env PERMAFROST_PASSWORD_FILE)')
    .option('--password-command <command>', 'run COMMAND and use its output as the repository password (env PERMAFROST_PASSWORD_COMMAND)');
  if (spec.writeOnly) cmd.option('--public-key-only <file>', 'write-only host: open with this registered RSA public key instead of a password (env PERMAFROST_PUBLIC_KEY_FILE)');
  return cmd;
}

let warned = false;

/** The repository named by the environment (PERMAFROST_REPOSITORY, else the deprecated PERMAFROST_REPO). */
export function repositoryFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env[REPOSITORY_ENV]) return env[REPOSITORY_ENV];
  const old = env[DEPRECATED_REPOSITORY_ENV];
  if (old && !warned) {
    warned = true;
    process.stderr.write(`permafrost: ${DEPRECATED_REPOSITORY_ENV} is deprecated: set ${REPOSITORY_ENV} instead\n`);
  }
  return old || undefined;
}

/** -f/--format, as the openstack CLI has it; `-f json` is the same as --json. */
export function formatOption(): Option {
  return new Option('-f, --format <format>', 'output format: json (= --json), table (the default text) or value (bare values, one record per line)').choices(OUTPUT_FORMATS);
}

/** --json-events: the event stream (one JSON object per line on stdout), for commands that have one. */
export function jsonEventsOption(): Option {
  return new Option('--json-events', 'the progress as a stream of JSON events, one object per line on stdout, ending with the report');
}
