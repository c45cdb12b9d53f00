// Typed client for Nova (compute API v2.1 with microversions). The session negotiates the
// microversion; this client asks for up to COMPUTE_MICROVERSION because export/restore need:
// 2.19 descriptions, 2.26 tags in server details, 2.47 flavor embedded in servers, 2.52 tags on
// create, 2.55 flavor descriptions, 2.61 extra specs in flavor details, 2.64 server-group
// `policy`/`rules`, 2.71 server groups in server details, 2.73 lock reasons, 2.79
// delete_on_termination of attachments, 2.89 attachment IDs, 2.93 rebuild of volume-backed servers.
import type { ServiceClient, Session } from '../../src/openstack/types.js';
import { collect } from '../common/limit.js';
import { seg } from '../common/api-path.js';
import { orUndefinedIfNotFound } from '../common/http-status.js';
import { waitForStatus, type WaitOptions } from '../common/wait.js';

export const COMPUTE_MICROVERSION = '2.93';
/** Below this the server/flavor shapes this client reads differ too much. */
export const COMPUTE_MIN_MICROVERSION = '2.47';

interface Extra {
  [key: string]: unknown;
}

export interface Link {
  rel: string;
  href: string;
}

/** Since 2.47 a server carries a copy of its flavor (no flavor ID). */
export interface EmbeddedFlavor {
  original_name: string;
  vcpus: number;
  ram: number;
  disk: number;
  ephemeral: number;
  swap: number;
  extra_specs?: Record<string, string>;
}

export interface ServerAddress {
  addr: string;
  version: number;
  'OS-EXT-IPS:type'?: 'fixed' | 'floating';
  'OS-EXT-IPS-MAC:mac_addr'?: string;
}

export interface Server extends Extra {
  id: string;
  name: string;
  status: string;
  tenant_id: string;
  user_id: string;
  description?: string | null;
  flavor: EmbeddedFlavor;
  /** `""` for servers booted from a volume. */
  image: { id: string; links?: Link[] } | '';
  key_name?: string | null;
  metadata: Record<string, string>;
  tags?: string[];
  addresses: Record<string, ServerAddress[]>;
  security_groups?: Array<{ name: string }>;
  'os-extended-volumes:volumes_attached'?: Array<{ id: string; delete_on_termination?: boolean }>;
  'OS-EXT-AZ:availability_zone'?: string;
  'OS-EXT-STS:vm_state'?: string;
  'OS-EXT-STS:task_state'?: string | null;
  'OS-EXT-STS:power_state'?: number;
  /** Admin-only by default policy. */
  'OS-EXT-SRV-ATTR:user_data'?: string | null;
  'OS-EXT-SRV-ATTR:hostname'?: string;
  locked?: boolean;
  locked_reason?: string | null;
  config_drive?: string;
  server_groups?: string[];
  fault?: { code: number; message: string };
}

export interface Flavor extends Extra {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  'OS-FLV-EXT-DATA:ephemeral'?: number;
  swap: number | '';
  rxtx_factor?: number;
  'os-flavor-access:is_public': boolean;
  'OS-FLV-DISABLED:disabled'?: boolean;
  description?: string | null;
  extra_specs?: Record<string, string>;
}

export interface FlavorAccess {
  flavor_id: string;
  tenant_id: string;
}

export interface Keypair extends Extra {
  name: string;
  public_key: string;
  fingerprint: string;
  type?: 'ssh' | 'x509';
  user_id?: string;
  created_at?: string;
  id?: number;
}

export interface ServerGroup extends Extra {
  id: string;
  name: string;
  policy?: string;
  rules?: Record<string, unknown>;
  members: string[];
  project_id?: string;
  user_id?: string;
}

export interface VolumeAttachment extends Extra {
  id: string;
  serverId: string;
  volumeId: string;
  device: string | null;
  tag?: string | null;
  delete_on_termination?: boolean;
  attachment_id?: string;
  bdm_uuid?: string;
}

export interface InterfaceAttachment extends Extra {
  port_id: string;
  net_id: string;
  mac_addr: string;
  port_state: string;
  fixed_ips: Array<{ subnet_id: string; ip_address: string }>;
  tag?: string | null;
}

export interface AvailabilityZone {
  zoneName: string;
  zoneState: { available: boolean };
}

export interface BlockDeviceMapping {
  boot_index?: number | null;
  uuid?: string;
  source_type: 'image' | 'volume' | 'snapshot' | 'blank';
  destination_type?: 'volume' | 'local';
  volume_size?: number;
  delete_on_termination?: boolean;
  device_name?: string;
  tag?: string;
  volume_type?: string;
  disk_bus?: string;
}

export interface CreateServerRequest {
  name: string;
  flavorRef: string;
  imageRef?: string;
  key_name?: string;
  networks?: Array<{ uuid?: string; port?: string; fixed_ip?: string; tag?: string }> | 'auto' | 'none';
  security_groups?: Array<{ name: string }>;
  metadata?: Record<string, string>;
  tags?: string[];
  description?: string;
  availability_zone?: string;
  /** Base64, as Nova expects it. */
  user_data?: string;
  config_drive?: boolean;
  block_device_mapping_v2?: BlockDeviceMapping[];
  min_count?: number;
  max_count?: number;
  hostname?: string;
  [key: string]: unknown;
}

export interface ServerListFilter {
  name?: string;
  status?: string;
  tags?: string;
  all_tenants?: boolean;
  project_id?: string;
  [key: string]: string | number | boolean | undefined;
}

export class ComputeClient {
  constructor(
    readonly http: ServiceClient,
    private readonly pageSize?: number,
  ) {}

  /** Client on the session's compute endpoint with the microversion this client is written for. */
  static async open(session: Session, pageSize?: number): Promise<ComputeClient> {
    return new ComputeClient(await session.client('compute', { microversion: COMPUTE_MICROVERSION, minMicroversion: COMPUTE_MIN_MICROVERSION }), pageSize);
  }

  /** `paged: false` for APIs without next links (limit/offset only): one request, no limit. */
  private list<T>(path: string, itemsKey: string, searchParams?: Record<string, string | number | boolean | undefined>, opts: { paged?: boolean } = {}): Promise<T[]> {
    const pageSize = opts.paged === false ? undefined : this.pageSize;
    return collect(this.http.paginate<T>({ path, itemsKey, searchParams, pageSize, style: opts.paged === false ? 'none' : 'links' }));
  }

  private async action(serverId: string, body: unknown): Promise<{ headers: Record<string, unknown>; body: unknown }> {
    const res = await this.http.request({ method: 'POST', path: `/servers/${seg(serverId)}/action`, json: body });
    return { headers: res.headers, body: res.body };
  }

  // Servers
  listServers(filter: ServerListFilter = {}): Promise<Server[]> {
    return this.list('/servers/detail', 'servers', filter);
  }
  async getServer(id: string): Promise<Server> {
    return (await this.http.request<{ server: Server }>({ path: `/servers/${seg(id)}` })).body.server;
  }
  findServer(id: string): Promise<Server | undefined> {
    return orUndefinedIfNotFound(() => this.getServer(id));
  }
  /** `schedulerHints` (e.g. `{ group: <server group ID> }`) go beside the server, as Nova wants them. */
  async createServer(server: CreateServerRequest, schedulerHints?: Record<string, unknown>): Promise<{ id: string; adminPass?: string }> {
    const json = schedulerHints ? { server, 'os:scheduler_hints': schedulerHints } : { server };
    const res = await this.http.request<{ server: { id: string; adminPass?: string } }>({ method: 'POST', path: '/servers', json });
    return res.body.server;
  }
  async updateServer(id: string, changes: { name?: string; description?: string | null; hostname?: string }): Promise<Server> {
    return (await this.http.request<{ server: Server }>({ method: 'PUT', path: `/servers/${seg(id)}`, json: { server: changes } })).body.server;
  }
  async deleteServer(id: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: `/servers/${seg(id)}` });
  }
  async getServerMetadata(id: string): Promise<Record<string, string>> {
    return (await this.http.request<{ metadata: Record<string, string> }>({ path: `/servers/${seg(id)}/metadata` })).body.metadata;
  }
  /** Merges keys into the server metadata (POST semantics). */
  async updateServerMetadata(id: string, metadata: Record<string, string>): Promise<Record<string, string>> {
    return (await this.http.request<{ metadata: Record<string, string> }>({ method: 'POST', path: `/servers/${seg(id)}/metadata`, json: { metadata } })).body.metadata;
  }
  /** Replaces the server metadata. */
  async replaceServerMetadata(id: string, metadata: Record<string, string>): Promise<Record<string, string>> {
    return (await this.http.request<{ metadata: Record<string, string> }>({ method: 'PUT', path: `/servers/${seg(id)}/metadata`, json: { metadata } })).body.metadata;
  }
  async listServerTags(id: string): Promise<string[]> {
    return (await this.http.request<{ tags: string[] }>({ path: `/servers/${seg(id)}/tags` })).body.tags;
  }
  async replaceServerTags(id: string, tags: string[]): Promise<string[]> {
    return (await this.http.request<{ tags: string[] }>({ method: 'PUT', path: `/servers/${seg(id)}/tags`, json: { tags } })).body.tags;
  }

  // Server actions
  /** Snapshot of a server to a new image; returns the image ID (body since 2.45). */
  async createImage(serverId: string, name: string, metadata: Record<string, string> = {}): Promise<string> {
    const res = await this.action(serverId, { createImage: { name, metadata } });
    const fromBody = (res.body as { image_id?: string } | undefined)?.image_id;
    if (fromBody) return fromBody;
    const location = res.headers['location'];
    const href = Array.isArray(location) ? location[0] : location;
    if (typeof href === 'string') return href.replace(/\/+$/, '').split('/').pop() as string;
    throw new Error(`createImage of server ${serverId} returned no image ID`);
  }
  async start(serverId: string): Promise<void> {
    await this.action(serverId, { 'os-start': null });
  }
  async stop(serverId: string): Promise<void> {
    await this.action(serverId, { 'os-stop': null });
  }
  async pause(serverId: string): Promise<void> {
    await this.action(serverId, { pause: null });
  }
  async unpause(serverId: string): Promise<void> {
    await this.action(serverId, { unpause: null });
  }
  async lock(serverId: string, reason?: string): Promise<void> {
    await this.action(serverId, { lock: reason ? { locked_reason: reason } : null });
  }
  async unlock(serverId: string): Promise<void> {
    await this.action(serverId, { unlock: null });
  }
  /** Rebuild with an image (volume-backed servers too, since 2.93). */
  async rebuild(serverId: string, rebuild: { imageRef: string; name?: string; metadata?: Record<string, string>; key_name?: string | null; user_data?: string | null; description?: string | null; preserve_ephemeral?: boolean }): Promise<Server> {
    const res = await this.action(serverId, { rebuild });
    return (res.body as { server: Server }).server;
  }

  /** Polls a server until it reaches one of `target` (default ACTIVE); ERROR fails. */
  waitForServer(id: string, target: string[] = ['ACTIVE'], opts: WaitOptions = {}): Promise<Server | undefined> {
    return waitForStatus({ ...opts, what: `server ${id}`, get: () => this.findServer(id), status: (s) => s.status, target, failure: ['ERROR'] });
  }
  async waitForServerDeleted(id: string, opts: WaitOptions = {}): Promise<void> {
    await waitForStatus({ ...opts, what: `server ${id}`, get: () => this.findServer(id), status: (s) => s.status, target: [], failure: ['ERROR'], untilGone: true });
  }

  // Volume attachments (Nova side of attach/detach)
  async listVolumeAttachments(serverId: string): Promise<VolumeAttachment[]> {
    return (await this.http.request<{ volumeAttachments: VolumeAttachment[] }>({ path: `/servers/${seg(serverId)}/os-volume_attachments` })).body.volumeAttachments;
  }
  async attachVolume(serverId: string, attachment: { volumeId: string; device?: string; tag?: string; delete_on_termination?: boolean }): Promise<VolumeAttachment> {
    const res = await this.http.request<{ volumeAttachment: VolumeAttachment }>({ method: 'POST', path: `/servers/${seg(serverId)}/os-volume_attachments`, json: { volumeAttachment: attachment } });
    return res.body.volumeAttachment;
  }
  async detachVolume(serverId: string, volumeId: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: `/servers/${seg(serverId)}/os-volume_attachments/${seg(volumeId)}` });
  }

  // Network interfaces
  async listInterfaces(serverId: string): Promise<InterfaceAttachment[]> {
    return (await this.http.request<{ interfaceAttachments: InterfaceAttachment[] }>({ path: `/servers/${seg(serverId)}/os-interface` })).body.interfaceAttachments;
  }
  async attachInterface(serverId: string, iface: { port_id?: string; net_id?: string; fixed_ips?: Array<{ ip_address: string }>; tag?: string }): Promise<InterfaceAttachment> {
    const res = await this.http.request<{ interfaceAttachment: InterfaceAttachment }>({ method: 'POST', path: `/servers/${seg(serverId)}/os-interface`, json: { interfaceAttachment: iface } });
    return res.body.interfaceAttachment;
  }
  async detachInterface(serverId: string, portId: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: `/servers/${seg(serverId)}/os-interface/${seg(portId)}` });
  }

  // Flavors
  /** `isPublic: 'all'` lists public and private flavors (admins see every private flavor). */
  listFlavors(opts: { isPublic?: boolean | 'all' } = { isPublic: 'all' }): Promise<Flavor[]> {
    const isPublic = opts.isPublic === 'all' || opts.isPublic === undefined ? 'None' : opts.isPublic;
    return this.list('/flavors/detail', 'flavors', { is_public: isPublic });
  }
  async getFlavor(id: string): Promise<Flavor> {
    return (await this.http.request<{ flavor: Flavor }>({ path: `/flavors/${seg(id)}` })).body.flavor;
  }
  async createFlavor(flavor: { name: string; ram: number; vcpus: number; disk: number; id?: string; 'OS-FLV-EXT-DATA:ephemeral'?: number; swap?: number; rxtx_factor?: number; 'os-flavor-access:is_public'?: boolean; description?: string }): Promise<Flavor> {
    return (await this.http.request<{ flavor: Flavor }>({ method: 'POST', path: '/flavors', json: { flavor } })).body.flavor;
  }
  async deleteFlavor(id: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: `/flavors/${seg(id)}` });
  }
  async getFlavorExtraSpecs(id: string): Promise<Record<string, string>> {
    return (await this.http.request<{ extra_specs: Record<string, string> }>({ path: `/flavors/${seg(id)}/os-extra_specs` })).body.extra_specs;
  }
  async setFlavorExtraSpecs(id: string, specs: Record<string, string>): Promise<Record<string, string>> {
    return (await this.http.request<{ extra_specs: Record<string, string> }>({ method: 'POST', path: `/flavors/${seg(id)}/os-extra_specs`, json: { extra_specs: specs } })).body.extra_specs;
  }
  /** Projects with access to a private flavor (admin only; public flavors answer 404/409). */
  async listFlavorAccess(id: string): Promise<FlavorAccess[]> {
    return (await this.http.request<{ flavor_access: FlavorAccess[] }>({ path: `/flavors/${seg(id)}/os-flavor-access` })).body.flavor_access;
  }
  async addFlavorAccess(id: string, projectId: string): Promise<FlavorAccess[]> {
    const res = await this.http.request<{ flavor_access: FlavorAccess[] }>({ method: 'POST', path: `/flavors/${seg(id)}/action`, json: { addTenantAccess: { tenant: projectId } } });
    return res.body.flavor_access;
  }
  async removeFlavorAccess(id: string, projectId: string): Promise<FlavorAccess[]> {
    const res = await this.http.request<{ flavor_access: FlavorAccess[] }>({ method: 'POST', path: `/flavors/${seg(id)}/action`, json: { removeTenantAccess: { tenant: projectId } } });
    return res.body.flavor_access;
  }

  // Keypairs (owned by a user, not a project)
  async listKeypairs(opts: { userId?: string } = {}): Promise<Keypair[]> {
    const wrapped = await this.list<{ keypair: Keypair }>('/os-keypairs', 'keypairs', { user_id: opts.userId });
    return wrapped.map((w) => w.keypair);
  }
  async getKeypair(name: string, opts: { userId?: string } = {}): Promise<Keypair> {
    const res = await this.http.request<{ keypair: Keypair }>({ path: `/os-keypairs/${seg(name)}`, searchParams: { user_id: opts.userId } });
    return res.body.keypair;
  }
  /** Imports a public key (generation was removed in 2.92). */
  async importKeypair(keypair: { name: string; public_key: string; type?: 'ssh' | 'x509'; user_id?: string }): Promise<Keypair> {
    return (await this.http.request<{ keypair: Keypair }>({ method: 'POST', path: '/os-keypairs', json: { keypair } })).body.keypair;
  }
  async deleteKeypair(name: string, opts: { userId?: string } = {}): Promise<void> {
    await this.http.request({ method: 'DELETE', path: `/os-keypairs/${seg(name)}`, searchParams: { user_id: opts.userId } });
  }

  // Server groups
  listServerGroups(opts: { allProjects?: boolean } = {}): Promise<ServerGroup[]> {
    // Server groups page with limit/offset and give no next links: read them in one call.
    return this.list('/os-server-groups', 'server_groups', { all_projects: opts.allProjects ? true : undefined }, { paged: false });
  }
  async getServerGroup(id: string): Promise<ServerGroup> {
    return (await this.http.request<{ server_group: ServerGroup }>({ path: `/os-server-groups/${seg(id)}` })).body.server_group;
  }
  async createServerGroup(group: { name: string; policy: string; rules?: Record<string, unknown> }): Promise<ServerGroup> {
    return (await this.http.request<{ server_group: ServerGroup }>({ method: 'POST', path: '/os-server-groups', json: { server_group: group } })).body.server_group;
  }
  async deleteServerGroup(id: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: `/os-server-groups/${seg(id)}` });
  }

  // Availability zones
  async listAvailabilityZones(): Promise<AvailabilityZone[]> {
    return (await this.http.request<{ availabilityZoneInfo: AvailabilityZone[] }>({ path: '/os-availability-zone' })).body.availabilityZoneInfo;
  }
}
