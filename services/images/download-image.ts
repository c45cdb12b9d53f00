// Reads one Glance image's bytes into the backup snapshot and proves they are what Glance holds:
// byte count = `size`, md5 = `checksum`. Used for the project's own images, and for the
// temporary images that carry a volume's or a server's disk (upload-to-image, createImage).
import type { ServiceClient } from '../../src/openstack/types.js';
import type { DataStreamRef } from '../../src/model/resource.js';
import type { DataExportContext } from '../data-export.js';
import { waitForStatus } from '../common/wait.js';
import { versionedPath, seg } from '../common/api-path.js';
import { isNotFound } from '../common/http-status.js';

export interface GlanceImage {
  id: string;
  name?: string | null;
  status: string;
  size?: number | null;
  checksum?: string | null;
  owner?: string;
  disk_format?: string | null;
  [property: string]: unknown;
}

export async function getImage(glance: ServiceClient, id: string): Promise<GlanceImage | undefined> {
  try {
    return (await glance.request<GlanceImage>({ path: versionedPath(glance, '/v2', `/images/${seg(id)}`) })).body;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Waits until an image being written (snapshot, upload-to-image) is active. */
export async function waitImageActive(glance: ServiceClient, id: string, ctx: DataExportContext, timeoutMs = 60 * 60_000): Promise<GlanceImage> {
  const image = await waitForStatus({
    what: `image ${id}`,
    get: () => getImage(glance, id),
    status: (i) => i.status,
    target: ['active'],
    failure: ['killed', 'deleted', 'pending_delete', 'deactivated'],
    timeoutMs,
    intervalMs: 2000,
    signal: ctx.signal,
  });
  return image as GlanceImage;
}

/** Streams an active image into the snapshot under `streamName` (fixed-size chunks: a disk). */
export async function downloadImageInto(glance: ServiceClient, image: GlanceImage, streamName: string, ctx: DataExportContext): Promise<DataStreamRef> {
  const { stream } = await glance.download({ path: versionedPath(glance, '/v2', `/images/${seg(image.id)}/file`), timeoutMs: 60 * 60_000 });
  const onAbort = () => stream.destroy(new Error('interrupted'));
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const out = await ctx.writeStream(streamName, stream, { chunker: 'fixed', expectedSize: image.size ?? undefined });
    if (typeof image.size === 'number' && out.size !== image.size) {
      throw new Error(`Glance served ${out.size} bytes of image ${image.id}, but the image has size ${image.size}`);
    }
    if (image.checksum && out.md5 !== image.checksum) {
      throw new Error(`md5 of the bytes Glance served for image ${image.id} (${out.md5}) differs from its checksum ${image.checksum}`);
    }
    return { stream: streamName, size: out.size, sha256: out.sha256, ...(image.checksum ? { cloudChecksum: `md5:${image.checksum}` } : {}) };
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
}
