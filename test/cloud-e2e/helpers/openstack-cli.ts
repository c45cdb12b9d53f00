// The python-openstackclient as the independent reference for what a project holds, and the
// permafrost CLI as a child process (the compiled dist/, as a user runs it).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const run = promisify(execFile);

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** `openstack --os-cloud <cloud> <args> -f json`, parsed. */
export async function osJson<T = Array<Record<string, unknown>>>(cloud: string, args: string[]): Promise<T> {
  const { stdout } = await run('openstack', ['--os-cloud', cloud, ...args, '-f', 'json'], { timeout: 120_000, maxBuffer: 64 * 2 ** 20 });
  return JSON.parse(stdout) as T;
}

/** IDs (or another column) of an `openstack ... list -f json`. */
export async function osIds(cloud: string, args: string[], column = 'ID'): Promise<Set<string>> {
  const rows = await osJson(cloud, args);
  return new Set(rows.map((r) => String(r[column])));
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/permafrost.js <args>`; never throws on a non-zero exit. */
export async function permafrost(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run('node', ['bin/permafrost.js', ...args], { cwd: REPO_ROOT, env, timeout: 10 * 60_000, maxBuffer: 256 * 2 ** 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Compiles the project (tsc emits even if files of other areas have type errors). */
export async function buildProject(): Promise<void> {
  try {
    await run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: REPO_ROOT, timeout: 10 * 60_000, maxBuffer: 64 * 2 ** 20 });
  } catch (err) {
    // Type errors elsewhere do not stop the emit; a missing compiled CLI is caught by the caller.
    const e = err as { stdout?: string };
    if (!e.stdout?.includes('error TS')) throw err;
  }
}
