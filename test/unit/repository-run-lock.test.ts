import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openBackend } from '../../src/repository/backends/index.js';
import { LOCKS_PREFIX } from '../../src/repository/format.js';
import { RepoLock, listLocks, processScope } from '../../src/repository/locks.js';
import { RunLock, liveRunIds, runIsLive } from '../../src/repository/run-lock.js';
import { ExitCode, PermafrostError } from '../../src/errors.js';
import { aliveBackups, runLiveness, type FoundTemporary } from '../../src/backup/sweep.js';
import { temporaryMetadata } from '../../src/backup/temporary-naming.js';
import { tempDir } from './repository-helpers.js';

const tmp = tempDir('run-lock');
afterAll(() => tmp.cleanup());

async function refusal(p: Promise<unknown>): Promise<PermafrostError> {
  try {
    await p;
  } catch (err) {
    return err as PermafrostError;
  }
  throw new Error('expected a refusal');
}

describe('per-project run lock', () => {
  it('refuses a second run of the same project with exit code busy, allows another project, and frees the project on release', async () => {
    mkdirSync(`${tmp.dir}/a`);
    const backend = await openBackend(`${tmp.dir}/a`);
    const first = await RunLock.acquire(backend, { project: 'c1/p1', projectName: 'alpha', backupId: 'b1', command: 'backup' });
    const err = await refusal(RunLock.acquire(backend, { project: 'c1/p1', backupId: 'b2', command: 'backup' }));
    expect(err).toBeInstanceOf(PermafrostError);
    expect(err.exitCode).toBe(ExitCode.busy);
    expect(err.message).toMatch(/project c1\/p1 is being backed up by another run: backup b1/);
    expect((await listLocks(backend)).length).toBe(1); // the refused run left nothing behind
    const other = await RunLock.acquire(backend, { project: 'c1/p2', backupId: 'b3', command: 'backup' });
    expect([...(await liveRunIds(backend))].sort()).toEqual(['b1', 'b3']);
    await first.release();
    const again = await RunLock.acquire(backend, { project: 'c1/p1', backupId: 'b4', command: 'backup' });
    await Promise.all([again.release(), other.release()]);
    expect(await listLocks(backend)).toEqual([]);
  });

  it('a lock whose heartbeat stopped is stale by age only, whatever its host; a heartbeat keeps it live', async () => {
    mkdirSync(`${tmp.dir}/b`);
    const backend = await openBackend(`${tmp.dir}/b`);
    const old = new Date(Date.now() - 10 * 60_000).toISOString();
    // a run of another host (a CronJob pod that is gone) whose last heartbeat is 10 min old
    const crashed = { version: 1, id: 'crashed0', exclusive: false, hostname: 'pod-x1', pid: 1, command: 'backup', time: old, refreshed: old, run: { project: 'c1/p1', backupId: 'dead' } };
    await backend.put(`${LOCKS_PREFIX}crashed0`, Buffer.from(JSON.stringify(crashed)));
    expect((await liveRunIds(backend)).has('dead')).toBe(false);
    const lock = await RunLock.acquire(backend, { project: 'c1/p1', backupId: 'new', command: 'backup' }, { staleMs: 60_000 });
    // a live run of another host with a fresh heartbeat blocks, although its pid does not exist here
    const now = new Date().toISOString();
    await backend.put(`${LOCKS_PREFIX}otherhst`, Buffer.from(JSON.stringify({ ...crashed, id: 'otherhst', hostname: 'pod-y2', pid: 2 ** 22 + 1, time: now, refreshed: now, run: { project: 'c1/p9', backupId: 'remote' } })));
    expect((await refusal(RunLock.acquire(backend, { project: 'c1/p9', backupId: 'x', command: 'backup' }))).exitCode).toBe(ExitCode.busy);
    const before = lock.info.refreshed;
    await new Promise((r) => setTimeout(r, 5));
    await lock.refresh();
    const stored = JSON.parse((await backend.get(`${LOCKS_PREFIX}${lock.info.id}`)).toString('utf8')) as { refreshed: string };
    expect(stored.refreshed > before).toBe(true);
    // a run lock is a shared repository lock: prune cannot start while a backup runs
    expect((await refusal(RepoLock.acquire(backend, true, 'prune'))).message).toMatch(/run lock of project c1\/p(1|9)/);
    await lock.release();
  });

  it('the sweep counts a run with a live lock as alive on any host, and a dead one as a leftover', () => {
    const found: FoundTemporary[] = [
      { kind: 'volume_snapshot', id: 's1', name: 'n1', backupId: 'remote', meta: temporaryMetadata('remote', 4242, 'pod-y2') },
      { kind: 'volume_snapshot', id: 's2', name: 'n2', backupId: 'dead', meta: temporaryMetadata('dead', 4243, 'pod-x1') },
      { kind: 'image', id: 'i1', name: 'n3', backupId: 'remote' },
    ];
    // this host's registry knows neither run, and the metadata names other hosts
    expect([...aliveBackups(found, runLiveness(new Set(['remote']), () => undefined))]).toEqual(['remote']);
    expect([...aliveBackups(found, runLiveness(new Set(), () => undefined))]).toEqual([]);
    // a registry that saw the remote run die here cannot override a fresh heartbeat
    expect([...aliveBackups(found, runLiveness(new Set(['remote']), () => false))]).toEqual(['remote']);
  });

  it('a fresh lock whose holder exited in this boot and PID namespace is not live; the same pid elsewhere is', () => {
    const scope = processScope();
    expect(scope).toMatch(/.+\/pid:\[\d+\]$/);
    const exited = spawnSync(process.execPath, ['-e', '0']).pid!;
    const now = new Date().toISOString();
    const lock = { version: 2, id: 'l1', exclusive: false, hostname: 'any', pid: exited, command: 'backup', time: now, refreshed: now, run: { project: 'c1/p1', backupId: 'b' } };
    expect(runIsLive({ ...lock, scope: scope! })).toBe(false);
    expect(runIsLive({ ...lock, scope: scope!, pid: process.pid })).toBe(true);
    // another machine or container: its pid says nothing here, only the heartbeat counts
    expect(runIsLive({ ...lock, scope: 'other-boot/pid:[1]' })).toBe(true);
    expect(runIsLive(lock)).toBe(true);
  });
});
