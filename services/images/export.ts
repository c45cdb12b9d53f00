// Data export of the project's images: each active image with bytes, owned by the project, is
// downloaded from Glance into the stream `image/<id>` (fixed-size chunks, block-incremental
// against the previous backup). Images of other projects (public, shared with us) are recorded
// by the inventory but their bytes belong to their owner's backup.
import { ResourceGoneError, type ExportDataHook } from '../data-export.js';
import { downloadImageInto, getImage } from './download-image.js';

export const exportImageData: ExportDataHook = async (ctx, records) => {
  const glance = await ctx.session.client('image');
  return records
    .filter((r) => r.kind === 'image')
    .map((record) => ({
      kind: 'image' as const,
      id: record.id,
      lane: 'disk' as const,
      size: record.size,
      async transfer() {
        const image = await getImage(glance, record.id);
        if (!image || image.status === 'deleted' || image.status === 'pending_delete') throw new ResourceGoneError(`image ${record.id}`);
        if (image.owner !== undefined && image.owner !== ctx.projectId) {
          return { data: [], fields: { dataExport: `not exported: the image belongs to project ${image.owner}` } };
        }
        if (image.status === 'queued' || !image.size) {
          return { data: [], fields: { dataExport: 'no data: the image has no bytes (queued, or a volume-backed snapshot)' } };
        }
        if (image.status !== 'active') throw new Error(`image is in status "${image.status}"; only active images can be downloaded`);
        ctx.progress.step('image', record.id, 'download');
        const ref = await downloadImageInto(glance, image, `image/${record.id}`, ctx);
        return { data: [ref] };
      },
    }));
};
