// The command tree as data (name, arguments, options) for the generated command reference
// (docs/commands.md, `npm run docs:commands`) and the shell completion scripts.
import type { Command } from 'commander';
import { commandPath, walkCommands } from './grammar.js';

export interface CommandEntry {
  path: string;
  description: string;
  usage: string;
  options: { flags: string; description: string }[];
  subcommands: string[];
}

export function commandEntries(program: Command): CommandEntry[] {
  const out: CommandEntry[] = [];
  walkCommands(program, (cmd) => {
    out.push({
      path: commandPath(cmd),
      description: cmd.description(),
      usage: cmd.usage(),
      options: cmd.options.filter((o) => !o.hidden).map((o) => ({ flags: o.flags, description: o.description })),
      subcommands: cmd.commands.map((c) => c.name()),
    });
  });
  return out.sort((a, b) => (a.path === 'permafrost' ? -1 : b.path === 'permafrost' ? 1 : a.path.localeCompare(b.path)));
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** docs/commands.md: one section per command, its usage and an option table. */
export function renderCommandReference(program: Command): string {
  const lines = [
    '# Command reference',
    '',
    '<!-- Generated from the command tree by `npm run docs:commands`; do not edit by hand (a test fails when it is stale). -->',
    '',
    'Every command that uses a repository takes `-r/--repo` (env `PERMAFROST_REPOSITORY`) and the same password sources; see [cli.md](cli.md).',
    '',
  ];
  for (const e of commandEntries(program)) {
    lines.push(`## ${e.path}`, '', e.description, '', '```', `${e.path} ${e.usage}`.trim(), '```', '');
    if (e.subcommands.length > 0) lines.push(`Subcommands: ${e.subcommands.map((s) => `\`${s}\``).join(', ')}`, '');
    if (e.options.length > 0) {
      lines.push('| Option | Description |', '| --- | --- |');
      for (const o of e.options) lines.push(`| \`${cell(o.flags)}\` | ${cell(o.description)} |`);
      lines.push('');
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
