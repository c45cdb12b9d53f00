// The `permafrost` command line. Each file in ./commands exports `register(program)`; they are
// discovered at start-up so that a new command is a new file, with no edit here.
import { Command, CommanderError } from 'commander';
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { ExitCode, PermafrostError } from '../errors.js';
import { configureLogging } from '../log/logger.js';
import { scrubText } from '../log/secrets.js';
import { applyGrammar, usageHint } from './grammar.js';

export interface CommandModule {
  register(program: Command): void;
}

/**
 * Builds the program. With `only` (the command named on the command line), only that command's
 * module (and --version) is loaded, so a command does not pay the start-up time and memory of every
 * other command's dependencies. Without it, or when no module has that name, every command is
 * loaded (help, errors).
 */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command('permafrost')
    .description('Back up and restore whole OpenStack projects into an encrypted, deduplicated repository.')
    .option('--debug', 'verbose diagnostics on stderr (never secrets)')
    .exitOverride();
  // --debug is global: switch the logger on before any command runs, also for commands that
  // log before they open a cloud session.
  program.hook('preAction', (_this, action) => {
    if (action.optsWithGlobals().debug) configureLogging({ debug: true });
  });
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'commands');
  let files = readdirSync(dir)
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
    .sort();
  const named = only === undefined ? [] : files.filter((f) => f.replace(/\.(js|ts)$/, '') === only);
  if (named.length === 1) files = files.filter((f) => f === named[0] || /^version\.(js|ts)$/.test(f));
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as Partial<CommandModule>;
    mod.register?.(program);
  }
  applyGrammar(program);
  return program;
}

/** Prints a PermafrostError as one clear line and returns its exit code. */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (err instanceof PermafrostError) {
    process.stderr.write(`permafrost: ${scrubText(err.message)}\n`);
    if (err.exitCode === ExitCode.usage) process.stderr.write(`${usageHint()}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`permafrost: internal error (please report it): ${scrubText(message)}\n`);
  return ExitCode.internal;
}

export async function main(argv: string[]): Promise<void> {
  let code: number = ExitCode.ok;
  try {
    // The first word that is not an option names the command (global options take no value).
    const program = await buildProgram(argv.slice(2).find((a) => !a.startsWith('-')));
    await program.parseAsync(argv);
    code = process.exitCode === undefined ? ExitCode.ok : Number(process.exitCode);
  } catch (err) {
    code = reportError(err);
  }
  process.exitCode = code;
}
