// Deleting a backup's temporary Cinder snapshot that is stuck in error_deleting (an earlier delete
// failed in the back end — seen in the concurrent-backups suite, where a Nova-assisted delete of an
// attached volume's snapshot failed): an admin resets and deletes it; a member gets a clear message
// at once instead of waiting out the 15-minute timeout for a status that never comes. The snapshot
// is of a throwaway volume in demo (named pf-test-svc-*, removed afterwards).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteTemporary } from '../../src/backup/temporary-deleter.js';
import type { Session } from '../../src/openstack/types.js';
import { VolumeClient } from '../../services/volumes/client.js';
import { ADMIN, DEMO, open } from './helpers/access.js';
import { Cleanup, svcName } from './helpers/services.js';

const WAIT = { timeoutMs: 5 * 60_000 };

describe('temporary snapshot stuck in error_deleting', () => {
  let member: Session;
  let admin: Session;
  let cinder: VolumeClient;
  let snapshotId: string;
  const cleanup = new Cleanup();

  /** Sets the snapshot's status as the admin (what a failed back-end delete leaves behind). */
  async function setStatus(status: string): Promise<void> {
    const c = await admin.client('volumev3');
    await c.request({ method: 'POST', path: `/snapshots/${snapshotId}/action`, json: { 'os-reset_status': { status } } });
  }

  beforeAll(async () => {
    member = await open(DEMO);
    admin = await open(ADMIN);
    cinder = await VolumeClient.open(member, 1);
    let volume = await cinder.createVolume({ size: 1, name: svcName('deleter') });
    cleanup.add(`volume ${volume.id}`, async () => {
      await cinder.deleteVolume(volume.id);
      await cinder.waitForVolumeDeleted(volume.id, WAIT);
    });
    volume = (await cinder.waitForVolume(volume.id, ['available'], WAIT))!;
    const snapshot = await cinder.createSnapshot({ volume_id: volume.id, name: svcName('deleter-snap') });
    snapshotId = snapshot.id;
    cleanup.add(`snapshot ${snapshot.id}`, async () => {
      if (!(await cinder.findSnapshot(snapshotId))) return;
      await setStatus('error');
      await cinder.deleteSnapshot(snapshotId);
      await cinder.waitForSnapshotDeleted(snapshotId, WAIT);
    });
    await cinder.waitForSnapshot(snapshot.id, ['available'], WAIT);
  });

  afterAll(async () => {
    expect(await cleanup.run()).toEqual([]);
    await member.close();
    await admin.close();
  });

  it('a member is told at once what an admin can do, and the snapshot is left as it was', async () => {
    await setStatus('error_deleting');
    const err = await deleteTemporary(member, { kind: 'volume_snapshot', id: snapshotId, name: 'n' }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/"error_deleting".*only an admin can reset it/);
    expect(err?.message).toContain(`openstack volume snapshot set --state error ${snapshotId}`);
    expect((await cinder.findSnapshot(snapshotId))?.status).toBe('error_deleting');
  });

  it('an admin resets it and deletes it', async () => {
    await deleteTemporary(admin, { kind: 'volume_snapshot', id: snapshotId, name: 'n' });
    expect(await cinder.findSnapshot(snapshotId)).toBeUndefined();
  });
});
