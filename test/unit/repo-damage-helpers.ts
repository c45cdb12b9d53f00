// Shared set-up of the damage and repair tests: a small repository with two snapshots of two
// files (so that one can be damaged and the other must come back intact), copied fresh for each
// kind of damage, and the byte-level damage itself.
import { cpSync, openSync, readSync, readdirSync, writeSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { openRepository } from '../../src/repository/index.js';
import { cli, json } from './cli-repo-helpers.js';
import { MiB, prng } from './repository-helpers.js';

export const ENV = { PERMAFROST_PASSWORD: 'pw-repair' };

export interface Fixture {
  /** The pristine repository: copy it with `fresh()`, never damage it. */
  repo: string;
  files: { name: string; path: string; snapshot: string }[];
  dir: string;
}

/** Two snapshots: `first.img` (3 MiB) and `second.img` (3 MiB), 1 MiB packs so each has its own packs. */
export async function buildFixture(dir: string): Promise<Fixture> {
  const repo = path.join(dir, 'pristine');
  expect((await cli(['repo', 'init', '--repo', repo, '--pack-size', '1'], ENV)).code).toBe(0);
  const files: Fixture['files'] = [];
  for (const name of ['first.img', 'second.img']) {
    const file = path.join(dir, name);
    writeFileSync(file, prng(3 * MiB, name));
    const snapshot = json(await cli(['backup-file', file, '--repo', repo, '--json'], ENV)).snapshot.id as string;
    files.push({ name, path: file, snapshot });
  }
  return { repo, files, dir };
}

let copies = 0;
/** A fresh copy of the pristine repository to damage. */
export function fresh(f: Fixture): string {
  const to = path.join(f.dir, `copy-${++copies}`);
  cpSync(f.repo, to, { recursive: true });
  return to;
}

export function filesUnder(repo: string, folder: string): string[] {
  return readdirSync(path.join(repo, folder), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

export function flipByte(file: string, pos: number): void {
  const fd = openSync(file, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, pos);
  b[0] ^= 0x40;
  writeSync(fd, b, 0, 1, pos);
  closeSync(fd);
}

/** Replaces the first occurrence of `from` in a text file. */
export function editText(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(from);
  writeFileSync(file, text.replace(from, to));
}

/** The pack holding a data blob of `snapshot`'s stream, and that blob's place. */
export async function dataBlobOf(repo: string, snapshot: string): Promise<{ pack: string; packFile: string; offset: number; length: number }> {
  const r = await openRepository(repo, { password: ENV.PERMAFROST_PASSWORD });
  try {
    const source = await r.streamSource(snapshot, (await r.getSnapshot(snapshot)).streams[0]);
    const index = await r.index();
    const map = await source.reader.mapSegment(source.maps[0]);
    const id = map.entries.find((e) => e.id)!.id!.toString('hex');
    const b = index.get(id)!;
    const packFile = filesUnder(repo, 'data').find((f) => path.basename(f) === b.pack)!;
    return { pack: b.pack, packFile, offset: b.offset, length: b.length };
  } finally {
    await r.close();
  }
}

/** Restores `snapshot` and compares it with the original file. */
export async function expectRestores(repo: string, snapshot: string, original: string): Promise<void> {
  const out = `${original}.restored-${++copies}`;
  const r = await cli(['restore-file', snapshot, '-o', out, '--repo', repo], ENV);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.code).toBe(0);
  expect(readFileSync(out).equals(readFileSync(original))).toBe(true);
}

export async function expectCheckClean(repo: string): Promise<void> {
  const r = await cli(['repo', 'check', '--read-data', '--repo', repo], ENV);
  expect(r.stdout.toString() + r.stderr).toContain('no errors were found');
  expect(r.code).toBe(0);
}
