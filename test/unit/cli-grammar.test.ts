// One grammar on every command (issue 17, point 4): the command tree is walked, and every
// command that uses a repository must accept the same repository and password options; the
// command reference (docs/commands.md) must match the tree; -f, --json/--json-events, usage
// hints, `version`, `completion` and the password sources are checked through the real CLI.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { renderCommandReference } from '../../src/cli/command-reference.js';
import { commandPath, walkCommands } from '../../src/cli/grammar.js';
import { ROOT, cli, requireBuilt } from './cli-repo-helpers.js';
import { tempDir } from './repository-helpers.js';

/** Every command that opens a repository (leaves of the tree; `cleanup` takes it optionally). */
const REPOSITORY_COMMANDS = [
  'backup', 'backup-file', 'cleanup', 'export', 'forget', 'import', 'prune', 'repo check', 'repo init', 'repo key add', 'repo key list', 'repo key remove',
  'restore', 'restore apply', 'restore plan', 'restore verify', 'restore-file', 'show', 'snapshots',
  'repo repair config', 'repo repair index', 'repo repair keys', 'repo repair packs', 'repo repair snapshots',
];
const SHARED = ['--repo', '--password-file', '--password-command'];
/**
 * Take only -r/--repo: `repo unlock` because lock files are plain and a stuck run must be
 * recoverable without the password; the schedule commands because a schedule never stores a
 * password: its runs read it from the environment of the worker or service that runs them.
 */
const REPOSITORY_WITHOUT_PASSWORD = ['repo unlock', 'schedule add', 'schedule exec'];

let program: Command;
const byPath = new Map<string, Command>();
beforeAll(async () => {
  requireBuilt();
  program = await buildProgram();
  walkCommands(program, (c) => byPath.set(commandPath(c).replace(/^permafrost ?/, ''), c));
}, 120_000);

const longs = (c: Command): string[] => c.options.map((o) => o.long ?? '');

describe('one command-line grammar', () => {
  it('every repository command accepts -r/--repo, --password-file and --password-command, and no other command half of them', () => {
    for (const name of REPOSITORY_COMMANDS) {
      const cmd = byPath.get(name);
      expect(cmd, `command ${name} exists`).toBeDefined();
      for (const flag of SHARED) expect(longs(cmd!), `${name} accepts ${flag}`).toContain(flag);
      expect(cmd!.options.find((o) => o.long === '--repo')!.short, `${name}: -r`).toBe('-r');
      expect(cmd!.options.find((o) => o.long === '--repo')!.description).toContain('PERMAFROST_REPOSITORY');
    }
    for (const name of REPOSITORY_WITHOUT_PASSWORD) expect(byPath.get(name)!.options.find((o) => o.long === '--repo')!.short).toBe('-r');
    for (const [name, cmd] of byPath) {
      if (REPOSITORY_WITHOUT_PASSWORD.includes(name)) continue;
      const has = SHARED.filter((f) => longs(cmd).includes(f));
      expect(has.length === 0 || has.length === SHARED.length, `${name || 'permafrost'} has ${has.join(', ')}`).toBe(true);
      if (has.length > 0) expect(REPOSITORY_COMMANDS, `${name} uses a repository: add it to the list`).toContain(name);
    }
  });

  it('every command with --json accepts -f json|table|value; commands with an event stream have --json-events', () => {
    for (const [name, cmd] of byPath) {
      if (!longs(cmd).includes('--json')) continue;
      const format = cmd.options.find((o) => o.long === '--format');
      expect(format?.short, `${name}: -f`).toBe('-f');
      expect(format?.argChoices).toEqual(['json', 'table', 'value']);
    }
    for (const name of ['backup', 'restore apply', 'restore verify']) expect(longs(byPath.get(name)!)).toContain('--json-events');
  });

  it('docs/commands.md is generated from the command tree (run `npm run docs:commands` when this fails)', () => {
    const file = path.join(ROOT, 'docs/commands.md');
    const expected = renderCommandReference(program);
    const actual = readFileSync(file, 'utf8');
    if (process.env.PERMAFROST_UPDATE_DOCS === '1') writeFileSync(file, expected);
    expect(actual === expected, 'docs/commands.md is stale: run `npm run docs:commands`').toBe(true);
  });
});

describe('the grammar through the real CLI', () => {
  it('a usage error prints the error and a one-line hint, not the whole help', async () => {
    const r = await cli(['snapshots', '--no-such-option']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(["error: unknown option '--no-such-option'", '(run "permafrost snapshots --help" for its usage)']);
    const ours = await cli(['forget', '--keep-last', 'many', '-r', '/nowhere']);
    expect(ours.code).toBe(2);
    expect(ours.stderr).toBe('permafrost: --keep-last needs a whole number ≥ 0, not "many"\n(run "permafrost forget --help" for its usage)\n');
  });

  it('version prints the version, Node, platform and the native helpers; -f json gives the same as one document', async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const text = await cli(['version']);
    expect(text.code).toBe(0);
    expect(text.stdout.toString()).toMatch(new RegExp(`^permafrost ${pkg.version}\\nnode ${process.version}\\nplatform ${process.platform} ${process.arch}\\nnative helpers (active|not active)`));
    const doc = JSON.parse((await cli(['version', '-f', 'json'])).stdout.toString()) as { version: string; native: { loaded: boolean } };
    expect(doc.version).toBe(pkg.version);
    const off = JSON.parse((await cli(['version', '--json'], { PERMAFROST_NATIVE: '0' })).stdout.toString()) as { native: { loaded: boolean } };
    expect(off.native.loaded).toBe(false);
    expect((await cli(['version', '-f', 'value'])).stdout.toString()).toBe(`${pkg.version} ${process.version} ${process.platform} ${process.arch}\n`);
  });

  it('completion bash and zsh complete commands and options', async () => {
    const bash = (await cli(['completion', 'bash'])).stdout.toString();
    expect(bash).toContain('complete -o default -F _permafrost permafrost');
    expect(bash).toMatch(/"restore apply"\) opts="[^"]*--json-events/);
    expect((await cli(['completion', 'zsh'])).stdout.toString()).toMatch(/^#compdef permafrost/);
    expect((await cli(['completion', 'fish'])).code).toBe(2);
  });

  it('PERMAFROST_REPOSITORY, the deprecated PERMAFROST_REPO (with a note) and PERMAFROST_PASSWORD_COMMAND open the same repository', async () => {
    const tmp = tempDir('grammar');
    try {
      const repo = path.join(tmp.dir, 'repo');
      expect((await cli(['repo', 'init', '-r', repo], { PERMAFROST_PASSWORD: 'pw-1' })).code).toBe(0);
      const viaEnv = await cli(['snapshots', '--json'], { PERMAFROST_REPOSITORY: repo, PERMAFROST_PASSWORD_COMMAND: 'printf pw-1' });
      expect(viaEnv.code, viaEnv.stderr).toBe(0);
      expect(JSON.parse(viaEnv.stdout.toString())).toEqual([]);
      const old = await cli(['snapshots', '-f', 'json'], { PERMAFROST_REPO: repo, PERMAFROST_PASSWORD: 'pw-1' });
      expect(old.code).toBe(0);
      expect(old.stderr).toContain('PERMAFROST_REPO is deprecated: set PERMAFROST_REPOSITORY instead');
      const failing = await cli(['snapshots', '-r', repo], { PERMAFROST_PASSWORD_COMMAND: 'echo nope >&2; exit 3' });
      expect(failing.code).toBe(4);
      expect(failing.stderr).toContain('the password command failed (exit 3): nope');
      const none = await cli(['snapshots', '-r', repo]);
      expect(none.code).toBe(8);
      expect(none.stderr).toContain('no repository password: set PERMAFROST_PASSWORD (or PERMAFROST_PASSWORD_FILE / PERMAFROST_PASSWORD_COMMAND)');
    } finally {
      tmp.cleanup();
    }
  });
});
