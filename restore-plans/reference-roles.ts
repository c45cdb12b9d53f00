// What a reference between two resources means for the restore order. Most references are
// plain dependencies (a port needs its network first). Some point "backwards" and would make
// cycles if taken literally: a port's device_id names the server that will use it, a volume's
// attachments name the server it is attached to, a floating IP names the port it is associated
// with. Those become separate steps (attach, associate, router interface) ordered after both ends.
import type { ResourceRecord, ResourceRef } from '../src/model/resource.js';

export type ReferenceRole =
  /** The referring resource needs the referenced one first. */
  | 'dependency'
  /** A port/volume used by a server or router: the user of it waits, not the other way round. */
  | 'attachment'
  /** A floating IP → port: a separate associate step after both. */
  | 'association'
  /** A router → one of its subnets: a separate router-interface step. */
  | 'interface'
  /** A security group → another group, through a rule embedded in the group. */
  | 'rule-remote'
  /** Kept for ID rewriting and fidelity only (parent → child lists, provenance, outside scope). */
  | 'informational';

export function classifyReference(record: ResourceRecord, ref: ResourceRef, sourceProjectId: string): ReferenceRole {
  if (ref.kind === record.kind && ref.id === record.id) return 'informational';
  if (ref.kind === 'project') return ref.id === sourceProjectId ? 'dependency' : 'informational';
  switch (record.kind) {
    case 'port':
      if (ref.kind === 'server' || ref.kind === 'router') return 'attachment';
      break;
    case 'volume':
      if (ref.kind === 'server') return 'attachment';
      if (ref.kind === 'volume_snapshot') return ref.field === 'snapshot_id' ? 'dependency' : 'informational';
      break;
    case 'server':
      if (ref.kind === 'volume') return 'attachment';
      if (ref.kind === 'floating_ip') return 'informational';
      break;
    case 'floating_ip':
      if (ref.kind === 'port') return 'association';
      if (ref.kind === 'router' || ref.kind === 'subnet') return 'informational';
      break;
    case 'router':
      if (ref.field.startsWith('external_gateway_info')) return ref.kind === 'network' ? 'dependency' : 'informational';
      if (ref.kind === 'subnet') return 'interface';
      if (ref.kind === 'port') return 'informational';
      break;
    case 'network':
      if (ref.kind === 'subnet' || ref.kind === 'port') return 'informational';
      break;
    case 'security_group':
      if (ref.kind === 'security_group_rule') return 'informational';
      if (ref.kind === 'security_group') return 'rule-remote';
      break;
    case 'container':
      if (ref.kind === 'object') return 'informational';
      break;
    case 'image':
      // instance_uuid / base_image_ref / block_device_mapping of a server snapshot: provenance;
      // the image's own bytes are what is restored
      if (ref.kind === 'server' || ref.kind === 'volume' || ref.kind === 'volume_snapshot' || ref.kind === 'image') return 'informational';
      break;
    case 'keypair':
      if (ref.kind === 'user') return 'informational';
      break;
    default:
      break;
  }
  return 'dependency';
}
