// VolumeClient against the real Cinder of the local cloud (demo user): blank volume, metadata,
// snapshot, volume from snapshot and from image, upload-to-image, reimage (3.68), types, zones,
// paged listings; microversion negotiated up to 3.70.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VolumeClient, compareMicroversions, type Volume, type VolumeSnapshot } from '../../services/volumes/client.js';
import { ImageClient } from '../../services/images/client.js';
import type { Session } from '../../src/openstack/types.js';
import { DEMO, open } from './helpers/access.js';
import { Cleanup, sha256Of, svcName } from './helpers/services.js';

const WAIT = { timeoutMs: 5 * 60_000 };

describe('VolumeClient (Cinder)', () => {
  let session: Session;
  let cinder: VolumeClient;
  let glance: ImageClient;
  let blank: Volume;
  let snapshot: VolumeSnapshot;
  let fromSnapshot: Volume;
  const cleanup = new Cleanup();

  beforeAll(async () => {
    session = await open(DEMO);
    cinder = await VolumeClient.open(session, 1);
    glance = await ImageClient.open(session);
  });

  afterAll(async () => {
    expect(await cleanup.run()).toEqual([]);
    await session.close();
  });

  function deleteVolumeLater(v: { id: string }): void {
    cleanup.add(`volume ${v.id}`, async () => {
      await cinder.deleteVolume(v.id);
      await cinder.waitForVolumeDeleted(v.id, WAIT);
    });
  }

  it('negotiates a volume microversion that has reimage (≥ 3.68)', () => {
    expect(compareMicroversions(cinder.http.microversion!, '3.68')).toBeGreaterThanOrEqual(0);
  });

  it('creates a blank volume with metadata and updates it', async () => {
    blank = await cinder.createVolume({ size: 1, name: svcName('blank'), metadata: { a: '1' } });
    deleteVolumeLater(blank);
    blank = (await cinder.waitForVolume(blank.id, ['available'], WAIT))!;
    expect(blank.metadata).toEqual({ a: '1' });
    await cinder.updateVolumeMetadata(blank.id, { b: '2' });
    await cinder.deleteVolumeMetadataKey(blank.id, 'a');
    expect(await cinder.getVolumeMetadata(blank.id)).toEqual({ b: '2' });
    const renamed = await cinder.updateVolume(blank.id, { description: 'pf test' });
    expect(renamed.description).toBe('pf test');
  });

  it('snapshots it and creates a volume from the snapshot', async () => {
    snapshot = await cinder.createSnapshot({ volume_id: blank.id, name: svcName('snap'), metadata: { k: 'v' } });
    cleanup.add(`snapshot ${snapshot.id}`, async () => {
      await cinder.deleteSnapshot(snapshot.id);
      await cinder.waitForSnapshotDeleted(snapshot.id, WAIT);
    });
    snapshot = (await cinder.waitForSnapshot(snapshot.id, ['available'], WAIT))!;
    expect(snapshot.volume_id).toBe(blank.id);
    fromSnapshot = await cinder.createVolume({ size: 1, name: svcName('from-snap'), snapshot_id: snapshot.id });
    deleteVolumeLater(fromSnapshot);
    fromSnapshot = (await cinder.waitForVolume(fromSnapshot.id, ['available'], WAIT))!;
    expect(fromSnapshot.snapshot_id).toBe(snapshot.id);
  });

  it('uploads a volume to an image whose bytes stream back out of Glance', async () => {
    const result = await cinder.uploadToImage(fromSnapshot.id, { image_name: svcName('upload') });
    cleanup.add(`image ${result.image_id}`, () => glance.deleteImage(result.image_id));
    await cinder.waitForVolume(fromSnapshot.id, ['available'], WAIT);
    const image = await glance.waitForImage(result.image_id, ['active'], WAIT);
    expect(image?.size).toBe(2 ** 30);
    const { stream } = await glance.downloadData(result.image_id);
    const { size } = await sha256Of(stream);
    expect(size).toBe(2 ** 30);
  });

  it('creates a volume from an image and reimages a volume with it', async () => {
    const [demoImage] = await glance.listImages({ name: 'demo-image' });
    expect(demoImage).toBeDefined();
    let fromImage = await cinder.createVolume({ size: 1, name: svcName('from-image'), imageRef: demoImage!.id });
    deleteVolumeLater(fromImage);
    fromImage = (await cinder.waitForVolume(fromImage.id, ['available'], WAIT))!;
    expect(fromImage.volume_image_metadata?.['image_id']).toBe(demoImage!.id);
    expect(String(fromImage.bootable)).toBe('true');
    await cinder.reimage(fromSnapshot.id, demoImage!.id);
    const reimaged = await cinder.waitForVolume(fromSnapshot.id, ['available'], { ...WAIT, intervalMs: 2000 });
    expect(reimaged?.volume_image_metadata?.['image_id']).toBe(demoImage!.id);
  });

  it('lists volumes, snapshots, types and zones with one item per page', async () => {
    const volumes = await cinder.listVolumes();
    expect(volumes.length).toBeGreaterThanOrEqual(4);
    expect(volumes.map((v) => v.id)).toEqual(expect.arrayContaining([blank.id, fromSnapshot.id]));
    expect(new Set(volumes.map((v) => v.id)).size).toBe(volumes.length);
    const snapshots = await cinder.listSnapshots();
    expect(snapshots.map((s) => s.id)).toContain(snapshot.id);
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    const types = await cinder.listVolumeTypes();
    expect(types.map((t) => t.name)).toContain('__DEFAULT__');
    expect((await cinder.getDefaultVolumeType()).name).toBeTruthy();
    expect((await cinder.listAvailabilityZones()).map((z) => z.zoneName)).toContain('nova');
  });
});
