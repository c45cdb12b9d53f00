// Typed client for Cinder (block storage v3 with microversions). Attach/detach goes through
// Nova (ComputeClient.attachVolume/detachVolume), as a tenant does it. Asks for up to 3.70:
// 3.1 visibility/protected on upload-to-image, 3.27 attachment IDs, 3.63 volume_type_id in
// volume details, 3.68 reimage.
import type { ServiceClient, Session } from '../../src/openstack/types.js';
import { ExitCode, PermafrostError } from '../../src/errors.js';
import { collect } from '../common/limit.js';
import { seg } from '../common/api-path.js';
import { orUndefinedIfNotFound } from '../common/http-status.js';
import { waitForStatus, type WaitOptions } from '../common/wait.js';

export const VOLUME_MICROVERSION = '3.70';
export const VOLUME_MIN_MICROVERSION = '3.0';
export const REIMAGE_MICROVERSION = '3.68';

interface Extra {
  [key: string]: unknown;
}

export interface VolumeAttachmentInfo {
  id: string;
  attachment_id: string;
  volume_id: string;
  server_id: string;
  host_name?: string | null;
  device?: string;
  attached_at?: string;
}

export interface Volume extends Extra {
  id: string;
  name: string | null;
  size: number;
  status: string;
  description?: string | null;
  volume_type?: string | null;
  volume_type_id?: string;
  availability_zone?: string;
  bootable: 'true' | 'false' | boolean;
  encrypted?: boolean;
  multiattach?: boolean;
  metadata: Record<string, string>;
  volume_image_metadata?: Record<string, string>;
  snapshot_id?: string | null;
  source_volid?: string | null;
  attachments: VolumeAttachmentInfo[];
  'os-vol-tenant-attr:tenant_id'?: string;
  user_id?: string;
  group_id?: string | null;
}

export interface VolumeSnapshot extends Extra {
  id: string;
  name: string | null;
  volume_id: string;
  size: number;
  status: string;
  description?: string | null;
  metadata: Record<string, string>;
  'os-extended-snapshot-attributes:project_id'?: string;
  'os-extended-snapshot-attributes:progress'?: string;
}

export interface VolumeType extends Extra {
  id: string;
  name: string;
  description?: string | null;
  is_public: boolean;
  'os-volume-type-access:is_public'?: boolean;
  extra_specs?: Record<string, string>;
  qos_specs_id?: string | null;
}

export interface VolumeTypeAccess {
  volume_type_id: string;
  project_id: string;
}

export interface AvailabilityZone {
  zoneName: string;
  zoneState: { available: boolean };
}

export interface CreateVolumeRequest {
  size: number;
  name?: string;
  description?: string;
  volume_type?: string;
  availability_zone?: string;
  imageRef?: string;
  snapshot_id?: string;
  source_volid?: string;
  metadata?: Record<string, string>;
  multiattach?: boolean;
  [key: string]: unknown;
}

export interface UploadToImageRequest {
  image_name: string;
  disk_format?: string;
  container_format?: string;
  /** Upload even when attached (cinder's enable_force_upload). */
  force?: boolean;
  visibility?: 'private' | 'public' | 'shared' | 'community';
  protected?: boolean;
}

export interface UploadToImageResult extends Extra {
  image_id: string;
  image_name: string;
  status: string;
  disk_format?: string;
  container_format?: string;
}

export class VolumeClient {
  constructor(
    readonly http: ServiceClient,
    private readonly pageSize?: number,
  ) {}

  /** Client on the session's block-storage endpoint with the microversion this client is written for. */
  static async open(session: Session, pageSize?: number): Promise<VolumeClient> {
    return new VolumeClient(await session.client('volumev3', { microversion: VOLUME_MICROVERSION, minMicroversion: VOLUME_MIN_MICROVERSION }), pageSize);
  }

  private list<T>(path: string, itemsKey: string, searchParams?: Record<string, string | number | boolean | undefined>): Promise<T[]> {
    return collect(this.http.paginate<T>({ path, itemsKey, searchParams, pageSize: this.pageSize, style: 'links' }));
  }

  private async volumeAction<T = unknown>(id: string, body: unknown): Promise<T> {
    const res = await this.http.request<T>({ method: 'POST', path: `/volumes/${seg(id)}/action`, json: body });
    return res.body;
  }

  // Volumes
  listVolumes(filter: { name?: string; status?: string; all_tenants?: boolean; project_id?: string; metadata?: string } = {}): Promise<Volume[]> {
    return this.list('/volumes/detail', 'volumes', filter);
  }
  async getVolume(id: string): Promise<Volume> {
    return (await this.http.request<{ volume: Volume }>({ path: `/volumes/${seg(id)}` })).body.volume;
  }
  findVolume(id: string): Promise<Volume | undefined> {
    return orUndefinedIfNotFound(() => this.getVolume(id));
  }
  /** Blank (size only), from an image (`imageRef`), a snapshot (`snapshot_id`) or a volume (`source_volid`). */
  async createVolume(volume: CreateVolumeRequest): Promise<Volume> {
    return (await this.http.request<{ volume: Volume }>({ method: 'POST', path: '/volumes', json: { volume } })).body.volume;
  }
  async updateVolume(id: string, changes: { name?: string; description?: string; metadata?: Record<string, string> }): Promise<Volume> {
    return (await this.http.request<{ volume: Volume }>({ method: 'PUT', path: `/volumes/${seg(id)}`, json: { volume: changes } })).body.volume;
  }
  async deleteVolume(id: string, opts: { cascade?: boolean; force?: boolean } = {}): Promise<void> {
    await this.http.request({ method: 'DELETE', path: `/volumes/${seg(id)}`, searchParams: { cascade: opts.cascade ? true : undefined, force: opts.force ? true : undefined } });
  }
  async getVolumeMetadata(id: string): Promise<Record<string, string>> {
    return (await this.http.request<{ metadata: Record<string, string> }>({ path: `/volumes/${seg(id)}/metadata` })).body.metadata;
  }
  /** Merges keys into the metadata. */
  async updateVolumeMetadata(id: string, metadata: Record<string, string>): Promise<Record<string, string>> {
    return (await this.http.request<{ metadata: Record<string, string> }>({ method: 'POST', path: `/volumes/${seg(id)}/metadata`, json: { metadata } })).body.metadata;
  }
  /** Replaces the metadata. */
  async replaceVolumeMetadata(id: string, metadata: Record<string, string>): Promise<Record<string, string>> {
    return (await this.http.request<{ metadata: Record<string, string> }>({ method: 'PUT', path: `/volumes/${seg(id)}/metadata`, json: { metadata } })).body.metadata;
  }
  async deleteVolumeMetadataKey(id: string, key: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: `/volumes/${seg(id)}/metadata/${seg(key)}` });
  }

  // Volume actions
  /** Copies the volume into a new Glance image in the caller's project (volume goes `uploading`). */
  async uploadToImage(id: string, request: UploadToImageRequest): Promise<UploadToImageResult> {
    const body = await this.volumeAction<{ 'os-volume_upload_image': UploadToImageResult }>(id, {
      'os-volume_upload_image': { disk_format: 'raw', container_format: 'bare', ...request },
    });
    return body['os-volume_upload_image'];
  }
  /** Overwrites the volume with an image's bytes (needs volume API 3.68). */
  async reimage(id: string, imageId: string, opts: { reimageReserved?: boolean } = {}): Promise<void> {
    this.requireMicroversion(REIMAGE_MICROVERSION, 'reimage a volume');
    await this.volumeAction(id, { 'os-reimage': { image_id: imageId, reimage_reserved: opts.reimageReserved ?? false } });
  }
  async extend(id: string, newSizeGiB: number): Promise<void> {
    await this.volumeAction(id, { 'os-extend': { new_size: newSizeGiB } });
  }
  async setBootable(id: string, bootable: boolean): Promise<void> {
    await this.volumeAction(id, { 'os-set_bootable': { bootable } });
  }
  async setImageMetadata(id: string, metadata: Record<string, string>): Promise<void> {
    await this.volumeAction(id, { 'os-set_image_metadata': { metadata } });
  }

  waitForVolume(id: string, target: string[] = ['available'], opts: WaitOptions = {}): Promise<Volume | undefined> {
    return waitForStatus({ ...opts, what: `volume ${id}`, get: () => this.findVolume(id), status: (v) => v.status, target });
  }
  async waitForVolumeDeleted(id: string, opts: WaitOptions = {}): Promise<void> {
    await waitForStatus({ ...opts, what: `volume ${id}`, get: () => this.findVolume(id), status: (v) => v.status, target: [], untilGone: true });
  }

  // Snapshots
  listSnapshots(filter: { name?: string; volume_id?: string; status?: string; all_tenants?: boolean; project_id?: string } = {}): Promise<VolumeSnapshot[]> {
    return this.list('/snapshots/detail', 'snapshots', filter);
  }
  async getSnapshot(id: string): Promise<VolumeSnapshot> {
    return (await this.http.request<{ snapshot: VolumeSnapshot }>({ path: `/snapshots/${seg(id)}` })).body.snapshot;
  }
  findSnapshot(id: string): Promise<VolumeSnapshot | undefined> {
    return orUndefinedIfNotFound(() => this.getSnapshot(id));
  }
  /** `force` snapshots an attached (in-use) volume. */
  async createSnapshot(snapshot: { volume_id: string; name?: string; description?: string; force?: boolean; metadata?: Record<string, string> }): Promise<VolumeSnapshot> {
    return (await this.http.request<{ snapshot: VolumeSnapshot }>({ method: 'POST', path: '/snapshots', json: { snapshot } })).body.snapshot;
  }
  async updateSnapshot(id: string, changes: { name?: string; description?: string }): Promise<VolumeSnapshot> {
    return (await this.http.request<{ snapshot: VolumeSnapshot }>({ method: 'PUT', path: `/snapshots/${seg(id)}`, json: { snapshot: changes } })).body.snapshot;
  }
  async deleteSnapshot(id: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: `/snapshots/${seg(id)}` });
  }
  async updateSnapshotMetadata(id: string, metadata: Record<string, string>): Promise<Record<string, string>> {
    return (await this.http.request<{ metadata: Record<string, string> }>({ method: 'POST', path: `/snapshots/${seg(id)}/metadata`, json: { metadata } })).body.metadata;
  }
  waitForSnapshot(id: string, target: string[] = ['available'], opts: WaitOptions = {}): Promise<VolumeSnapshot | undefined> {
    return waitForStatus({ ...opts, what: `volume snapshot ${id}`, get: () => this.findSnapshot(id), status: (s) => s.status, target });
  }
  async waitForSnapshotDeleted(id: string, opts: WaitOptions = {}): Promise<void> {
    await waitForStatus({ ...opts, what: `volume snapshot ${id}`, get: () => this.findSnapshot(id), status: (s) => s.status, target: [], untilGone: true });
  }

  // Volume types
  /** `isPublic: 'all'` lists public and private types (admins see every private type). */
  listVolumeTypes(opts: { isPublic?: boolean | 'all' } = { isPublic: 'all' }): Promise<VolumeType[]> {
    const isPublic = opts.isPublic === 'all' || opts.isPublic === undefined ? 'None' : opts.isPublic;
    return this.list('/types', 'volume_types', { is_public: isPublic });
  }
  async getVolumeType(id: string): Promise<VolumeType> {
    return (await this.http.request<{ volume_type: VolumeType }>({ path: `/types/${seg(id)}` })).body.volume_type;
  }
  async getDefaultVolumeType(): Promise<VolumeType> {
    return (await this.http.request<{ volume_type: VolumeType }>({ path: '/types/default' })).body.volume_type;
  }
  async createVolumeType(type: { name: string; description?: string; 'os-volume-type-access:is_public'?: boolean; extra_specs?: Record<string, string> }): Promise<VolumeType> {
    return (await this.http.request<{ volume_type: VolumeType }>({ method: 'POST', path: '/types', json: { volume_type: type } })).body.volume_type;
  }
  async deleteVolumeType(id: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: `/types/${seg(id)}` });
  }
  /** Projects with access to a private type (admin only). */
  async listVolumeTypeAccess(id: string): Promise<VolumeTypeAccess[]> {
    return (await this.http.request<{ volume_type_access: VolumeTypeAccess[] }>({ path: `/types/${seg(id)}/os-volume-type-access` })).body.volume_type_access;
  }
  async addVolumeTypeAccess(id: string, projectId: string): Promise<void> {
    await this.http.request({ method: 'POST', path: `/types/${seg(id)}/action`, json: { addProjectAccess: { project: projectId } } });
  }

  // Availability zones
  async listAvailabilityZones(): Promise<AvailabilityZone[]> {
    return (await this.http.request<{ availabilityZoneInfo: AvailabilityZone[] }>({ path: '/os-availability-zone' })).body.availabilityZoneInfo;
  }

  private requireMicroversion(needed: string, what: string): void {
    const have = this.http.microversion;
    if (!have || compareMicroversions(have, needed) < 0) {
      throw new PermafrostError(
        `cannot ${what}: the volume API microversion in use is ${have ?? 'unversioned'}, ${needed} or newer is needed (the cloud's Cinder is too old)`,
        ExitCode.preflight,
      );
    }
  }
}

/** Compares "3.68" and "3.7" numerically per component. */
export function compareMicroversions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
