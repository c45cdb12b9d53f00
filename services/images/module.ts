// Inventory of the images a project owns (any visibility, hidden ones included). Public or
// shared images of other projects that the project's servers and volumes were built from are
// not records here; servers and volumes refer to them by ID. Members of shared images are read
// with the image (the owner may list them).
import type { ServiceModule, InventoryContext, InventoryResult } from '../module.js';
import { InventoryCollector } from '../common/inventory-collector.js';
import { mapLimit } from '../common/limit.js';
import { ImageClient, type ImageMember } from './client.js';
import { imageRecord } from './records.js';
import { imageRestore } from './restore.js';
import { exportImageData } from './export.js';

async function inventory(ctx: InventoryContext): Promise<InventoryResult> {
  const out = new InventoryCollector('Glance');
  const client = await ImageClient.open(ctx.session, ctx.pageSize);
  const images = await out.kind('image', () => client.listOwnedImages(ctx.projectId));
  await mapLimit(images ?? [], 4, async (image) => {
    let members: ImageMember[] | undefined;
    if (image.visibility === 'shared') {
      members = await client.listMembers(image.id).catch((err: unknown) => {
        out.noteFailure('image', err, `members of image ${image.name ?? image.id}`);
        return undefined;
      });
    }
    out.add(imageRecord(image, members));
  });
  return out.result();
}

export const serviceModule: ServiceModule = {
  name: 'images',
  serviceTypes: ['image'],
  kinds: ['image'],
  inventory,
  exportData: exportImageData,
  restore: imageRestore,
};
