// Runs one command under GNU time and returns wall time, CPU time (user + sys of the command and
// every process it waited for) and peak RSS (the largest resident set of any one of them).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface Command {
  argv: string[];
  cwd?: string;
  env?: Record<string, string>;
}

export interface Measurement {
  wallSeconds: number;
  cpuSeconds: number;
  userSeconds: number;
  sysSeconds: number;
  peakRssMiB: number;
}

export class CommandFailed extends Error {
  constructor(
    readonly command: Command,
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    super(`command failed (exit ${exitCode}): ${command.argv.join(' ')}\n${output.slice(-3000)}`);
  }
}

const MARK = '@@bench-time@@';

export async function measure(cmd: Command, timeoutMs = 60 * 60_000): Promise<Measurement & { output: string }> {
  // Dirty pages of the previous command (a repository of ~800 MiB just written by another tool) are
  // written back first, untimed: otherwise the kernel flushes them during this command, on the same
  // cores and disk, and its fsyncs wait behind them, so its time would depend on which tool ran
  // before it.
  spawnSync('sync', { stdio: 'ignore' });
  const timeFile = path.join(os.tmpdir(), `bench-time-${randomBytes(6).toString('hex')}`);
  const argv = ['/usr/bin/time', '-o', timeFile, '-f', `${MARK} %e %U %S %M`, ...cmd.argv];
  const started = process.hrtime.bigint();
  const child = spawn(argv[0], argv.slice(1), {
    cwd: cmd.cwd,
    env: { ...process.env, ...cmd.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (b: Buffer): void => {
    output = (output + b.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const timeText = await fs.readFile(timeFile, 'utf8').catch(() => '');
  await fs.rm(timeFile, { force: true });
  if (code !== 0) throw new CommandFailed(cmd, code, output + timeText);
  const m = new RegExp(`${MARK} ([\\d.]+) ([\\d.]+) ([\\d.]+) (\\d+)`).exec(timeText);
  if (!m) throw new Error(`cannot read GNU time output for ${cmd.argv.join(' ')}: ${timeText}`);
  const userSeconds = Number(m[2]);
  const sysSeconds = Number(m[3]);
  return {
    wallSeconds,
    userSeconds,
    sysSeconds,
    cpuSeconds: userSeconds + sysSeconds,
    peakRssMiB: Number(m[4]) / 1024,
    output,
  };
}

/** Runs a command that is not measured (init, listing); throws with its output when it fails. */
export async function run(cmd: Command): Promise<string> {
  const child = spawn(cmd.argv[0], cmd.argv.slice(1), { cwd: cmd.cwd, env: { ...process.env, ...cmd.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new CommandFailed(cmd, code, output);
  return output;
}

/** Apparent size of everything under a folder (what the repository stores). */
export async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    const entries = await fs.readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) total += (await fs.stat(p)).size;
    }
  }
  return total;
}
