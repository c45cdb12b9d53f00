// ImageClient against the real Glance of the local cloud: create, streamed upload and download
// (sha256 compared), JSON-patch properties, tags, members, deactivate/reactivate, owned listing
// with pages smaller than the image count, delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageClient, customProperties } from '../../services/images/client.js';
import type { Session } from '../../src/openstack/types.js';
import { ADMIN, DEMO, open } from './helpers/access.js';
import { Cleanup, dataStream, sha256Of, svcName } from './helpers/services.js';

describe('ImageClient (Glance)', () => {
  let demo: Session;
  let admin: Session;
  let glance: ImageClient;
  let imageId: string;
  const cleanup = new Cleanup();
  const size = 6 * 2 ** 20 + 17;

  beforeAll(async () => {
    [demo, admin] = await Promise.all([open(DEMO), open(ADMIN)]);
    glance = await ImageClient.open(demo, 1);
  });

  afterAll(async () => {
    expect(await cleanup.run()).toEqual([]);
    await Promise.all([demo.close(), admin.close()]);
  });

  it('creates an image and uploads its data from a stream', async () => {
    const image = await glance.createImage({ name: svcName('image'), disk_format: 'raw', container_format: 'bare', tags: ['pf-test'], pf_origin: 'services-images' });
    imageId = image.id;
    cleanup.add(`image ${imageId}`, async () => {
      await glance.deleteImage(imageId);
      await glance.waitForImageDeleted(imageId, { timeoutMs: 60_000 });
    });
    expect(image.status).toBe('queued');
    await glance.uploadData(imageId, dataStream(size, 'image-1'));
    const active = await glance.waitForImage(imageId, ['active'], { timeoutMs: 120_000 });
    expect(active?.size).toBe(size);
    expect(customProperties(active!)).toMatchObject({ pf_origin: 'services-images' });
  });

  it('downloads the data as a stream with the same sha256', async () => {
    const expected = await sha256Of(dataStream(size, 'image-1'));
    const { stream, size: reported, md5 } = await glance.downloadData(imageId);
    expect(await sha256Of(stream)).toEqual(expected);
    expect(reported).toBe(size);
    expect(md5).toBe((await glance.getImage(imageId)).checksum);
  });

  it('updates properties with JSON-patch and manages tags', async () => {
    let image = await glance.updateImage(imageId, { os_distro: 'pf', pf_origin: null, min_ram: 64 });
    expect(image['os_distro']).toBe('pf');
    expect(image['pf_origin']).toBeUndefined();
    expect(image.min_ram).toBe(64);
    await glance.addTag(imageId, 'extra tag');
    await glance.removeTag(imageId, 'pf-test');
    image = await glance.getImage(imageId);
    expect(image.tags).toEqual(['extra tag']);
  });

  it('shares the image with another project (members)', async () => {
    const adminProject = admin.project!.id;
    await glance.updateImage(imageId, { visibility: 'shared' });
    const member = await glance.addMember(imageId, adminProject);
    expect(member).toMatchObject({ member_id: adminProject, status: 'pending' });
    const adminGlance = await ImageClient.open(admin);
    await adminGlance.updateMemberStatus(imageId, adminProject, 'accepted');
    expect((await glance.listMembers(imageId)).map((m) => [m.member_id, m.status])).toEqual([[adminProject, 'accepted']]);
    await glance.removeMember(imageId, adminProject);
    expect(await glance.listMembers(imageId)).toEqual([]);
  });

  it('deactivates (data refused) and reactivates', async () => {
    // Deactivation is admin-only under Zed's default policy.
    const adminGlance = await ImageClient.open(admin);
    await adminGlance.deactivate(imageId);
    expect((await glance.getImage(imageId)).status).toBe('deactivated');
    await expect(glance.downloadData(imageId)).rejects.toMatchObject({ statusCode: 403 });
    await adminGlance.reactivate(imageId);
    expect((await glance.getImage(imageId)).status).toBe('active');
  });

  it('lists the images a project owns with one image per page', async () => {
    const owned = await glance.listOwnedImages(demo.project!.id);
    const names = owned.map((i) => i.name);
    expect(owned.length).toBeGreaterThanOrEqual(3);
    expect(names).toEqual(expect.arrayContaining(['demo-image', 'demo-image-shared']));
    expect(owned.map((i) => i.id)).toContain(imageId);
    expect(new Set(owned.map((i) => i.id)).size).toBe(owned.length);
    expect(owned.every((i) => i.owner === demo.project!.id)).toBe(true);
  });
});
