// The local run registry (which backups run on this host) and host locks, on a temporary state
// directory; and the sweeper's liveness decision, which takes the registry before the owner
// metadata (an upload-to-image image carries none). The real concurrent runs are in
// test/cloud-e2e/backup-race.test.ts.
import { mkdtempSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerRun, runIsAlive, runningBackups, stateDir, withHostLock, withHostLocks } from '../../src/backup/run-registry.js';
import { aliveBackups, type FoundTemporary } from '../../src/backup/sweep.js';
import { temporaryMetadata } from '../../src/backup/temporary-naming.js';

const DEAD_PID = 2 ** 22 + 4321;
const fresh = () => mkdtempSync(path.join(tmpdir(), 'pf-unit-registry-'));

describe('run registry', () => {
  it('knows a registered run until it is released; a dead process makes it stale', () => {
    const dir = fresh();
    const run = registerRun('20261122T044000Z-aaaaaa', { projectId: 'p1' }, dir);
    expect(run.error).toBeUndefined();
    expect(runIsAlive('20261122T044000Z-aaaaaa', dir)).toBe(true);
    expect(runningBackups(dir)).toEqual(['20261122T044000Z-aaaaaa']);
    run.release();
    expect(runIsAlive('20261122T044000Z-aaaaaa', dir)).toBeUndefined();

    // SIGKILLed run: the file stays, its pid is gone → dead, and the stale file is removed
    mkdirSync(path.join(dir, 'running'), { recursive: true });
    writeFileSync(path.join(dir, 'running', '20261122T044100Z-bbbbbb.json'), JSON.stringify({ backupId: '20261122T044100Z-bbbbbb', pid: DEAD_PID, host: hostname(), startedAt: '' }));
    expect(runIsAlive('20261122T044100Z-bbbbbb', dir)).toBe(false);
    expect(readdirSync(path.join(dir, 'running'))).toEqual([]);
    // another host's file (shared home): not this host's business
    writeFileSync(path.join(dir, 'running', '20261122T044200Z-cccccc.json'), JSON.stringify({ backupId: '20261122T044200Z-cccccc', pid: process.pid, host: 'elsewhere', startedAt: '' }));
    expect(runIsAlive('20261122T044200Z-cccccc', dir)).toBeUndefined();
  });

  it('reports instead of throwing when the state directory cannot be written', () => {
    const dir = fresh();
    writeFileSync(path.join(dir, 'file'), '');
    const run = registerRun('20261122T044000Z-dddddd', {}, path.join(dir, 'file'));
    expect(run.error).toMatch(/could not register/);
    run.release();
  });

  it('state directory: PERMAFROST_STATE_DIR, else XDG_STATE_HOME/permafrost, else ~/.local/state/permafrost', () => {
    expect(stateDir({ PERMAFROST_STATE_DIR: '/s', XDG_STATE_HOME: '/x', HOME: '/h' })).toBe('/s');
    expect(stateDir({ XDG_STATE_HOME: '/x', HOME: '/h' })).toBe('/x/permafrost');
    expect(stateDir({ HOME: '/h' })).toBe('/h/.local/state/permafrost');
  });
});

describe('sweep liveness', () => {
  const t = (backupId: string, kind: FoundTemporary['kind'], meta?: Record<string, unknown>): FoundTemporary => ({ kind, id: `${kind}-${backupId}`, name: `permafrost-backup-${backupId}-x`, backupId, ...(meta ? { meta } : {}) });

  it('a registered run keeps an image without metadata; a registered dead run loses even live-looking metadata', () => {
    const registry: Record<string, boolean> = { running: true, crashed: false };
    const found = [
      t('running', 'image'),
      t('crashed', 'image'),
      t('crashed', 'volume_snapshot', temporaryMetadata('crashed')),
      t('unknown-live', 'volume_snapshot', temporaryMetadata('unknown-live')),
      t('unknown-live', 'image'),
      t('unknown-dead', 'volume', temporaryMetadata('unknown-dead', DEAD_PID)),
      t('unknown-bare', 'image'),
    ];
    expect([...aliveBackups(found, (id) => registry[id])].sort()).toEqual(['running', 'unknown-live']);
  });
});

describe('host locks', () => {
  it('are exclusive between call chains, reentrant within one, taken over from a dead holder', async () => {
    const dir = fresh();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = withHostLock('server-1', async () => {
      order.push('first in');
      // reentrant: the holder's own chain takes the lock again (a failed snapshot deleted under it)
      await withHostLocks(['server-1'], async () => order.push('first again'), { dir });
      await gate;
      order.push('first out');
    }, { dir });
    await new Promise((r) => setTimeout(r, 50));
    let waitedFor: number | undefined;
    const second = withHostLock('server-1', async () => order.push('second in'), { dir, onWait: (pid) => (waitedFor = pid) });
    await new Promise((r) => setTimeout(r, 200));
    expect(order).toEqual(['first in', 'first again']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first again', 'first out', 'second in']);
    expect(waitedFor).toBe(process.pid);

    writeFileSync(path.join(dir, 'locks', 'server-2.lock'), `${DEAD_PID}\n`);
    await expect(withHostLock('server-2', async () => 'taken', { dir })).resolves.toBe('taken');
    expect(readdirSync(path.join(dir, 'locks'))).toEqual([]);
  });
});
