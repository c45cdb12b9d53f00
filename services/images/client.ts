// Typed client for Glance v2: image metadata, data (streamed both ways, never buffered),
// members, tags, JSON-patch property updates and (de)activation.
import type { Readable } from 'node:stream';
import type { ServiceClient, Session } from '../../src/openstack/types.js';
import { collect } from '../common/limit.js';
import { seg, versionedPath } from '../common/api-path.js';
import { orUndefinedIfNotFound } from '../common/http-status.js';
import { waitForStatus, type WaitOptions } from '../common/wait.js';
import { propertyPatch, pointer, type ImagePatchOp } from './json-patch.js';

export const JSON_PATCH_MEDIA_TYPE = 'application/openstack-images-v2.1-json-patch';

/** Glance's own keys; everything else at the top level of an image is a custom property. */
export const IMAGE_CORE_FIELDS = new Set([
  'id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'owner', 'checksum', 'os_hash_algo',
  'os_hash_value', 'size', 'virtual_size', 'min_disk', 'min_ram', 'disk_format', 'container_format',
  'created_at', 'updated_at', 'tags', 'self', 'file', 'schema', 'direct_url', 'locations', 'stores',
]);

export interface Image {
  id: string;
  name: string | null;
  status: string;
  visibility: 'public' | 'private' | 'shared' | 'community';
  protected: boolean;
  os_hidden?: boolean;
  owner: string;
  checksum?: string | null;
  os_hash_algo?: string | null;
  os_hash_value?: string | null;
  size?: number | null;
  virtual_size?: number | null;
  min_disk: number;
  min_ram: number;
  disk_format?: string | null;
  container_format?: string | null;
  tags: string[];
  created_at?: string;
  updated_at?: string;
  /** Custom properties (top-level keys, string values). */
  [property: string]: unknown;
}

export interface ImageMember {
  image_id: string;
  member_id: string;
  status: 'pending' | 'accepted' | 'rejected';
  created_at?: string;
  updated_at?: string;
  schema?: string;
}

export interface CreateImageRequest {
  name: string;
  id?: string;
  disk_format?: string;
  container_format?: string;
  visibility?: Image['visibility'];
  protected?: boolean;
  min_disk?: number;
  min_ram?: number;
  tags?: string[];
  /** Custom properties: string values. */
  [property: string]: unknown;
}

export interface ImageListFilter {
  owner?: string;
  visibility?: Image['visibility'] | 'all';
  status?: string;
  name?: string;
  tag?: string;
  member_status?: 'pending' | 'accepted' | 'rejected' | 'all';
  os_hidden?: boolean;
  [key: string]: string | number | boolean | undefined;
}

/** Custom properties of an image (everything Glance itself does not define). */
export function customProperties(image: Image): Record<string, unknown> {
  return Object.fromEntries(Object.entries(image).filter(([key]) => !IMAGE_CORE_FIELDS.has(key)));
}

export class ImageClient {
  constructor(
    readonly http: ServiceClient,
    private readonly pageSize?: number,
  ) {}

  static async open(session: Session, pageSize?: number): Promise<ImageClient> {
    return new ImageClient(await session.client('image'), pageSize);
  }

  private p(path: string): string {
    return versionedPath(this.http, '/v2', path);
  }

  listImages(filter: ImageListFilter = {}): Promise<Image[]> {
    return collect(this.http.paginate<Image>({ path: this.p('/images'), itemsKey: 'images', searchParams: filter, pageSize: this.pageSize, style: 'glance' }));
  }
  /** Images owned by a project (any visibility, hidden ones included). */
  async listOwnedImages(projectId: string): Promise<Image[]> {
    // Glance hides os_hidden images unless asked; list both so nothing owned is missed.
    const [visible, hidden] = await Promise.all([
      this.listImages({ owner: projectId, visibility: 'all' }),
      this.listImages({ owner: projectId, visibility: 'all', os_hidden: true }),
    ]);
    const byId = new Map<string, Image>();
    for (const image of [...visible, ...hidden]) byId.set(image.id, image);
    return [...byId.values()];
  }
  async getImage(id: string): Promise<Image> {
    return (await this.http.request<Image>({ path: this.p(`/images/${seg(id)}`) })).body;
  }
  findImage(id: string): Promise<Image | undefined> {
    return orUndefinedIfNotFound(() => this.getImage(id));
  }
  async createImage(image: CreateImageRequest): Promise<Image> {
    return (await this.http.request<Image>({ method: 'POST', path: this.p('/images'), json: image })).body;
  }
  async deleteImage(id: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: this.p(`/images/${seg(id)}`) });
  }

  /** Applies JSON-patch operations (the only way Glance v2 updates an image). */
  async patchImage(id: string, ops: ImagePatchOp[]): Promise<Image> {
    if (ops.length === 0) return this.getImage(id);
    const res = await this.http.request<Image>({
      method: 'PATCH',
      path: this.p(`/images/${seg(id)}`),
      headers: { 'content-type': JSON_PATCH_MEDIA_TYPE },
      body: JSON.stringify(ops),
    });
    return res.body;
  }
  /** Sets (value) or removes (null) properties and core fields like name/min_disk/visibility. */
  async updateImage(id: string, changes: Record<string, unknown>): Promise<Image> {
    const current = await this.getImage(id);
    return this.patchImage(id, propertyPatch(current, changes));
  }
  async removeProperty(id: string, key: string): Promise<Image> {
    return this.patchImage(id, [{ op: 'remove', path: pointer(key) }]);
  }

  /**
   * Uploads image data from a stream (chunked PUT, application/octet-stream). The stream is
   * sent as it is read, never buffered; a stream body is never retried by the HTTP layer.
   */
  async uploadData(id: string, data: Readable, opts: { size?: number; timeoutMs?: number } = {}): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (opts.size !== undefined) headers['content-length'] = String(opts.size);
    await this.http.request({ method: 'PUT', path: this.p(`/images/${seg(id)}/file`), headers, body: data, retry: false, timeoutMs: opts.timeoutMs ?? 6 * 60 * 60_000 });
  }
  /** Streams image data; `md5` is Glance's Content-MD5 (hex, = image.checksum). */
  async downloadData(id: string, opts: { timeoutMs?: number } = {}): Promise<{ stream: Readable; size?: number; md5?: string }> {
    const { stream, headers } = await this.http.download({ path: this.p(`/images/${seg(id)}/file`), timeoutMs: opts.timeoutMs ?? 6 * 60 * 60_000 });
    const length = headerValue(headers['content-length']);
    const md5 = headerValue(headers['content-md5']);
    const result: { stream: Readable; size?: number; md5?: string } = { stream };
    if (length !== undefined) result.size = Number(length);
    if (md5 !== undefined) result.md5 = md5;
    return result;
  }

  async deactivate(id: string): Promise<void> {
    await this.http.request({ method: 'POST', path: this.p(`/images/${seg(id)}/actions/deactivate`) });
  }
  async reactivate(id: string): Promise<void> {
    await this.http.request({ method: 'POST', path: this.p(`/images/${seg(id)}/actions/reactivate`) });
  }

  // Tags
  async addTag(id: string, tag: string): Promise<void> {
    await this.http.request({ method: 'PUT', path: this.p(`/images/${seg(id)}/tags/${seg(tag)}`) });
  }
  async removeTag(id: string, tag: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: this.p(`/images/${seg(id)}/tags/${seg(tag)}`) });
  }

  // Members (sharing with other projects)
  async listMembers(id: string): Promise<ImageMember[]> {
    return (await this.http.request<{ members: ImageMember[] }>({ path: this.p(`/images/${seg(id)}/members`) })).body.members;
  }
  async addMember(id: string, projectId: string): Promise<ImageMember> {
    return (await this.http.request<ImageMember>({ method: 'POST', path: this.p(`/images/${seg(id)}/members`), json: { member: projectId } })).body;
  }
  /** Called by the member project to accept/reject a shared image. */
  async updateMemberStatus(id: string, projectId: string, status: ImageMember['status']): Promise<ImageMember> {
    return (await this.http.request<ImageMember>({ method: 'PUT', path: this.p(`/images/${seg(id)}/members/${seg(projectId)}`), json: { status } })).body;
  }
  async removeMember(id: string, projectId: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: this.p(`/images/${seg(id)}/members/${seg(projectId)}`) });
  }

  waitForImage(id: string, target: string[] = ['active'], opts: WaitOptions = {}): Promise<Image | undefined> {
    return waitForStatus({ ...opts, what: `image ${id}`, get: () => this.findImage(id), status: (i) => i.status, target, failure: ['killed', 'deleted', 'pending_delete'] });
  }
  async waitForImageDeleted(id: string, opts: WaitOptions = {}): Promise<void> {
    await waitForStatus({
      ...opts,
      what: `image ${id}`,
      // A deleted image may linger with status "deleted" before it 404s.
      get: async () => {
        const image = await this.findImage(id);
        return image && image.status !== 'deleted' ? image : undefined;
      },
      status: (i) => i.status,
      target: [],
      untilGone: true,
    });
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
