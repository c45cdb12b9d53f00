import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { cli, json, requireBuilt } from './cli-repo-helpers.js';
import { MiB, prng, rsaKeyFiles, tempDir } from './repository-helpers.js';

describe('CLI: write-only host with a public key', () => {
  const tmp = tempDir('cli-wo');
  const repo = path.join(tmp.dir, 'repo');
  const pw = { PERMAFROST_PASSWORD: 'pw-wo' };
  let keys: { publicKey: string; privateKey: string };
  const data = prng(3 * MiB, 'wo');

  beforeAll(async () => {
    requireBuilt();
    keys = rsaKeyFiles(tmp.dir);
    expect((await cli(['repo', 'init', '--repo', repo, '--public-key', keys.publicKey], pw)).code).toBe(0);
  }, 180_000);
  afterAll(() => tmp.cleanup());

  it('can back up (and deduplicate) but cannot list, restore or check data', async () => {
    const f = path.join(tmp.dir, 'db.dump');
    writeFileSync(f, data);
    const wo = { PERMAFROST_PUBLIC_KEY_FILE: keys.publicKey };
    const first = json(await cli(['backup-file', f, '--repo', repo, '--chunker', 'cdc', '--json'], wo));
    const second = json(await cli(['backup-file', f, '--repo', repo, '--chunker', 'cdc', '--json', '--public-key-only', keys.publicKey], {}));
    expect(second.snapshot.stats.chunksNew).toBe(0);

    for (const args of [['snapshots'], ['restore-file', first.snapshot.id, '-o', '-'], ['repo', 'check', '--read-data'], ['export', 'latest', '-o', path.join(tmp.dir, 'x.tar')]]) {
      const r = await cli([...args, '--repo', repo, ...(args[0] === 'repo' ? ['--public-key-only', keys.publicKey] : [])], wo);
      expect(r.code, args.join(' ')).toBe(ExitCode.repository);
      expect(r.stderr).toMatch(/write-only|password/);
    }
    // Structure check works with the public key alone.
    expect((await cli(['repo', 'check', '--repo', repo, '--public-key-only', keys.publicKey], {})).code).toBe(0);
    // Nothing the write-only host stored contains the plaintext.
    const needle = data.subarray(1000, 1032);
    for (const file of readdirSync(repo, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())) {
      expect(readFileSync(path.join(file.parentPath, file.name)).includes(needle)).toBe(false);
    }
    // The password holder reads what the write-only host wrote.
    const restored = await cli(['restore-file', first.snapshot.id, '-o', '-', '--repo', repo], pw);
    expect(restored.stdout.equals(data)).toBe(true);
  }, 300_000);

  it('an unregistered public key is refused with a clear message', async () => {
    const other = rsaKeyFiles(path.join(tmp.dir));
    const r = await cli(['backup-file', '-', '--repo', repo, '--public-key-only', other.publicKey], {}, Buffer.from('x'));
    expect(r.code).toBe(ExitCode.repository);
    expect(r.stderr).toMatch(/not registered.*repo key add --public-key/);
  }, 300_000);
});
