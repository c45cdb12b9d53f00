// Fields that differ between a resource and its restored copy by nature (IDs, timestamps,
// counters, links, host placement, states in transition): the fidelity comparison ignores them.
// Patterns are dotted paths where `*` matches one segment and a trailing `.**` a whole subtree.
import type { ResourceKind } from '../src/model/kinds.js';

const EVERY_KIND = [
  'id',
  'created_at',
  'updated_at',
  'created',
  'updated',
  'revision_number',
  'links.**',
  'self',
  'schema',
  'file',
];

const BY_KIND: Partial<Record<ResourceKind, string[]>> = {
  project: ['parent_id', 'domain.**'],
  user: ['password_expires_at', 'default_project_id'],
  application_credential: ['expires_at'],
  network: ['status', 'subnets.**', 'availability_zones.**'],
  subnet: [],
  port: ['status', 'device_id', 'binding:host_id', 'binding:vif_type', 'binding:vif_details.**', 'binding:profile.**'],
  router: ['status', 'availability_zones.**', 'interfaces.*.port_id'],
  security_group: ['security_group_rule_ids.**'],
  security_group_rule: ['belongs_to_default_sg', 'normalized_cidr'],
  floating_ip: ['status', 'port_details.**', 'router_id'],
  image: ['stores', 'direct_url', 'locations.**', 'owner_specified.openstack.*', 'os_glance_*', 'members.**'],
  volume: [
    'os-vol-host-attr:host',
    'os-vol-mig-status-attr:*',
    'service_uuid',
    'shared_targets',
    'cluster_name',
    'consumes_quota',
    'replication_status',
    'migration_status',
    'provider_id',
    'attachments.*.attachment_id',
    'attachments.*.attached_at',
    'attachments.*.host_name',
    'attachments.*.id',
    'attachments.*.volume_id',
    'volume_image_metadata.signature_verified',
    'volume_image_metadata.image_id',
    'volume_image_metadata.owner_specified.openstack.*',
  ],
  volume_snapshot: ['progress', 'os-extended-snapshot-attributes:progress'],
  server: [
    'hostId',
    'host_status',
    'progress',
    'OS-EXT-SRV-ATTR:*',
    'OS-SRV-USG:*',
    'OS-EXT-STS:task_state',
    'OS-EXT-STS:power_state',
    'OS-DCF:diskConfig',
    'volume_attachments.*.attachment_id',
    'volume_attachments.*.bdm_uuid',
    'volume_attachments.*.id',
    'interfaces.*.port_state',
    'user_id',
  ],
  keypair: ['user_id'],
  container: ['objectCount', 'bytesUsed', 'timestamp', 'lastModified'],
  object: ['last_modified', 'lastModified', 'timestamp'],
};

/** Statuses that are steps on the way, not an outcome: compared as equal to anything. */
export const TRANSITIONAL_STATUSES: ReadonlySet<string> = new Set([
  'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING', 'REBOOT', 'HARD_REBOOT', 'PASSWORD',
  'creating', 'attaching', 'detaching', 'downloading', 'uploading', 'saving', 'queued', 'importing',
  'backing-up', 'restoring-backup', 'extending', 'reserved', 'maintenance', 'deleting',
  'PENDING_CREATE', 'PENDING_UPDATE', 'DOWN',
]);

function matches(pattern: string, path: string): boolean {
  const p = pattern.split('.');
  const s = path.split('.');
  for (let i = 0; i < p.length; i += 1) {
    if (p[i] === '**') return true;
    if (i >= s.length) return false;
    const part = p[i]!;
    if (part === '*') continue;
    if (part.endsWith('*') ? !s[i]!.startsWith(part.slice(0, -1)) : part !== s[i]) return false;
  }
  return p.length === s.length;
}

export function isVolatileField(kind: ResourceKind, path: string): boolean {
  // API links (self/bookmark URLs) sit at any depth (`image.links.0.href`) and name the endpoint
  if (path.split('.').includes('links')) return true;
  return [...EVERY_KIND, ...(BY_KIND[kind] ?? [])].some((pattern) => matches(pattern, path));
}

/** Whether `prefix` names `path` itself or a subtree holding it (`flavor` covers `flavor.vcpus`). */
export function coversPath(prefix: string, path: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`);
}
