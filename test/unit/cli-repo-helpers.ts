// Runs the real `permafrost` CLI (bin/permafrost.js → dist/, so build first: `npx tsc -p tsconfig.json`).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/permafrost.js');

export function requireBuilt(): void {
  if (!existsSync(path.join(ROOT, 'dist/src/cli/commands/backup-file.js'))) {
    throw new Error('dist/ is not built: run `npx tsc -p tsconfig.json` before the CLI tests');
  }
}

export interface CliResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Environment without any permafrost variables of the caller, plus `env`. */
export function cleanEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PERMAFROST_')) base[k] = v;
  return { ...base, ...env };
}

export function spawnCli(args: string[], env: Record<string, string | undefined> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
}

export function cli(args: string[], env: Record<string, string | undefined> = {}, input?: Buffer): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, env);
    const out: Buffer[] = [];
    let err = '';
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    child.stdin!.on('error', () => undefined);
    if (input) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

/** Runs a shell pipeline (for `export | import`). */
export function shell(command: string, env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
  });
}

export function json<T = any>(r: CliResult): T {
  if (r.code !== 0) throw new Error(`CLI failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout.toString('utf8')) as T;
}
