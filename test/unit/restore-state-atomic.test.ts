// Plan and state files of a restore are replaced whole or not at all: a failed write leaves the
// previous content and no temporary file, and ends with a message and its exit code.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode, PermafrostError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/restore/state-file.js';
import { tempDir } from './repository-helpers.js';

describe('writeFileAtomic (restore plan and state files)', () => {
  const tmp = tempDir('state-atomic');
  afterAll(() => tmp.cleanup());

  it('replaces the file whole', () => {
    const file = path.join(tmp.dir, 'plan.json');
    writeFileSync(file, 'old');
    writeFileAtomic(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(readdirSync(tmp.dir)).toEqual(['plan.json']);
  });

  it('a failed rename leaves the target as it was and no temporary file', () => {
    const dir = path.join(tmp.dir, 'busy');
    mkdirSync(path.join(dir, 'inside'), { recursive: true });
    let err: unknown;
    try {
      writeFileAtomic(dir, 'text');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PermafrostError);
    expect((err as PermafrostError).exitCode).toBe(ExitCode.config);
    expect((err as Error).message).toContain(`cannot write ${dir}`);
    expect(readdirSync(dir)).toEqual(['inside']);
    expect(readdirSync(tmp.dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a folder that does not exist: exit 4 with the path', () => {
    const file = path.join(tmp.dir, 'missing', 'state.json');
    expect(() => writeFileAtomic(file, 'x')).toThrow(/cannot write .*missing\/state\.json/);
  });
});
