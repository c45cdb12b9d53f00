// Creates a Glance image and streams bytes into it (one chunked PUT, never buffered), then waits
// until Glance made it active. Used for restored images, for the root disks of restored servers
// and for the temporary images volumes are filled from.
import type { Readable } from 'node:stream';
import { waitForStatus } from '../common/wait.js';
import { orUndefinedIfNotFound } from '../common/http-status.js';
import { ImageClient, type CreateImageRequest, type Image } from './client.js';

export interface UploadImageOptions {
  image: CreateImageRequest;
  data: () => Promise<Readable>;
  size?: number;
  /** Called with the ID as soon as Glance returned it (before the upload), for crash-safe cleanup. */
  onCreated?: (id: string) => Promise<void>;
  signal?: AbortSignal;
}

export async function uploadImage(client: ImageClient, opts: UploadImageOptions): Promise<Image> {
  const created = await client.createImage(opts.image);
  if (opts.onCreated) await opts.onCreated(created.id);
  const stream = await opts.data();
  await client.uploadData(created.id, stream, opts.size === undefined ? {} : { size: opts.size });
  const image = await waitForStatus({
    what: `image ${created.id}`,
    get: () => orUndefinedIfNotFound(() => client.getImage(created.id)),
    status: (i) => i.status,
    target: ['active'],
    failure: ['killed', 'deleted', 'pending_delete', 'deactivated'],
    timeoutMs: 30 * 60_000,
    intervalMs: 1000,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (!image) throw new Error(`image ${created.id} disappeared while its data was uploaded`);
  return image;
}
