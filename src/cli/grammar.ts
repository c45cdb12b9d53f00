// The grammar every command shares, applied once to the whole command tree after the commands
// are registered: `-f json|table|value` on every command that has --json, a one-line hint after a
// usage error (instead of the whole help), and the command path for the hint of our own usage errors.
import type { Command } from 'commander';
import { formatOption } from './common-options.js';
import { setValueOutput } from './repo-access.js';

let current = '';

/** `permafrost restore apply` for the running command (for hints). */
export function currentCommandPath(): string {
  return current;
}

export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function usageHint(path = current || 'permafrost'): string {
  return `(run "${path} --help" for its usage)`;
}

export function walkCommands(cmd: Command, visit: (c: Command) => void): void {
  visit(cmd);
  for (const sub of cmd.commands) walkCommands(sub, visit);
}

export function applyGrammar(program: Command): void {
  walkCommands(program, (cmd) => {
    cmd.showHelpAfterError(usageHint(commandPath(cmd)));
    const has = (flag: string): boolean => cmd.options.some((o) => o.long === flag);
    if (has('--json') && !has('--format')) cmd.addOption(formatOption());
  });
  program.hook('preAction', (_this, action) => {
    current = commandPath(action);
    const format = action.opts().format as string | undefined;
    if (format === 'json' || format === 'value') action.setOptionValue('json', true);
    setValueOutput(format === 'value');
  });
}
