// The container image (issue 17, point 3). With a working docker or podman engine the image is
// built and run: non-root user, native helpers active, the CLI answers. Without one (`docker
// info` fails), the test says so on its output and checks what can be checked without an engine:
// the Dockerfile is multi-stage, builds the native helpers, runs as a non-root user and keeps
// the state directory as a volume.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from './cli-repo-helpers.js';

const run = promisify(execFile);
const MINUTE = 60_000;

async function workingEngine(): Promise<{ engine?: string; why: string }> {
  const reasons: string[] = [];
  for (const engine of ['docker', 'podman']) {
    try {
      await run(engine, ['info'], { timeout: 60_000 });
      return { engine, why: '' };
    } catch (err) {
      const e = err as { code?: string | number; stderr?: string };
      reasons.push(`${engine}: ${e.code === 'ENOENT' ? 'not installed' : (e.stderr ?? String(err)).trim().split('\n').pop()}`);
    }
  }
  return { why: reasons.join('; ') };
}

describe('the container image', () => {
  it('the Dockerfile is multi-stage, builds the native helpers, runs as non-root with the state directory as a volume', () => {
    const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(text.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^COPY --from=build /m);
    expect(text).toMatch(/test -e native\/build\/Release\/permafrost_native\.node/);
    const user = /^USER (\S+)/m.exec(text)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(text).toMatch(/^ENV PERMAFROST_STATE_DIR=\/var\/lib\/permafrost\/state/m);
    expect(text).toMatch(/^VOLUME \["\/var\/lib\/permafrost"\]/m);
    // everything the build stage copies exists in the tree
    const sources = [...text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
    expect(sources.length).toBeGreaterThan(5);
    for (const src of sources) expect(existsSync(path.join(ROOT, src)), `${src} exists`).toBe(true);
  });

  it('builds and runs the image when a docker or podman engine works', async () => {
    const { engine, why } = await workingEngine();
    if (!engine) {
      process.stdout.write(`container image: the build was not possible here (no working engine: ${why}); only the Dockerfile was checked\n`);
      expect(why).toMatch(/docker: .+; podman: .+/);
      return;
    }
    const tag = `permafrost-test:${process.pid}`;
    try {
      await run(engine, ['build', '-t', tag, ROOT], { timeout: 30 * MINUTE, maxBuffer: 256 << 20 });
      const uid = await run(engine, ['run', '--rm', '--entrypoint', 'id', tag, '-u'], { timeout: 5 * MINUTE });
      expect(uid.stdout.trim()).not.toBe('0');
      const version = await run(engine, ['run', '--rm', tag, 'version', '--json'], { timeout: 5 * MINUTE });
      expect(JSON.parse(version.stdout)).toMatchObject({ native: { loaded: true } });
      const help = await run(engine, ['run', '--rm', tag], { timeout: 5 * MINUTE });
      expect(help.stdout).toMatch(/^Usage: permafrost/);
    } finally {
      await run(engine, ['rmi', '-f', tag]).catch(() => undefined);
    }
  }, 40 * MINUTE);
});
