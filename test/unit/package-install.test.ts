// The npm package installs and runs (issue 17, point 3): `npm pack` (its prepack builds dist/),
// `npm install -g --prefix TMP` of the tarball (offline where the npm cache has the dependencies),
// then the installed `permafrost`: --help, version, repo init, backup-file, restore-file, and the
// restored bytes equal the original.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, cleanEnv } from './cli-repo-helpers.js';
import { prng, tempDir } from './repository-helpers.js';

const run = promisify(execFile);
const MINUTE = 60_000;
const tmp = tempDir('pack');
// the installed prefix holds a whole node_modules: removing it takes a while on a busy machine
afterAll(() => tmp.cleanup(), 5 * MINUTE);

async function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ stdout: string; stderr: string }> {
  return run(cmd, args, { cwd: opts.cwd ?? tmp.dir, env: opts.env ?? cleanEnv(), timeout: 15 * MINUTE, maxBuffer: 64 << 20 });
}

describe('the npm package', () => {
  it('packs with dist/ and no tests, installs globally into a prefix and runs: init, backup-file, restore-file round trip', async () => {
    const packed = await sh('npm', ['pack', '--json', '--pack-destination', tmp.dir], { cwd: ROOT });
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
    const files = info.files.map((f) => f.path);
    expect(files).toContain('dist/src/cli/main.js');
    expect(files).toContain('bin/permafrost.js');
    expect(files).toContain('native/binding.gyp');
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('src/') || f.endsWith('.map'))).toBe(false);

    const prefix = path.join(tmp.dir, 'prefix');
    await sh('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(tmp.dir, info.filename)]);
    const bin = path.join(prefix, 'bin', 'permafrost');
    const env = cleanEnv({ PERMAFROST_PASSWORD: 'pack-test-password', PERMAFROST_STATE_DIR: path.join(tmp.dir, 'state') });
    const help = await sh(bin, ['--help'], { env });
    expect(help.stdout).toMatch(/^Usage: permafrost \[options\] \[command\]/);
    expect(help.stdout).toContain('backup-file');
    const version = await sh(bin, ['version', '--json'], { env });
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(JSON.parse(version.stdout)).toMatchObject({ version: pkg.version, node: process.version });

    const repo = path.join(tmp.dir, 'repo');
    const input = path.join(tmp.dir, 'input.bin');
    const data = Buffer.concat([prng(3 << 20, 'pack-install'), Buffer.alloc(1 << 20)]);
    writeFileSync(input, data);
    await sh(bin, ['repo', 'init', '-r', repo], { env });
    await sh(bin, ['backup-file', input, '-r', repo], { env });
    const output = path.join(tmp.dir, 'output.bin');
    await sh(bin, ['restore-file', 'latest:input.bin', '-o', output, '-r', repo], { env });
    expect(readFileSync(output).equals(data)).toBe(true);
  }, 40 * MINUTE);
});
