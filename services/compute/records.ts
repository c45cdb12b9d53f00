// Pure mapping of Nova API objects to inventory records and references.
import type { ResourceRecord, ResourceRef } from '../../src/model/resource.js';
import { makeRecord, ref } from '../common/inventory-collector.js';
import type { Flavor, InterfaceAttachment, Keypair, Server, ServerGroup, VolumeAttachment } from './client.js';

export const MIB = 2 ** 20;
export const GIB = 2 ** 30;

/**
 * Keypairs belong to users, not projects, and have no ID of their own: the name is the ID for
 * the keys of the user running the inventory (what a member sees); keys an admin reads for
 * another user are `<user_id>/<name>`, since two users may use the same key name.
 */
export function keypairId(name: string, ownerUserId: string | undefined, sessionUserId: string): string {
  return !ownerUserId || ownerUserId === sessionUserId ? name : `${ownerUserId}/${name}`;
}

export interface ServerContext {
  sessionUserId: string;
  /** Flavors by name: since 2.47 a server names its flavor (`original_name`) instead of its ID. */
  flavorsByName: Map<string, Flavor>;
  /** The project's security groups by name: Nova reports a server's groups by name only. */
  securityGroupsByName: Map<string, string>;
  /** Server ID → server group IDs (from the groups' member lists). */
  serverGroupsOf: Map<string, string[]>;
  /** Nova's volume attachments and network interfaces of this server. */
  attachments: VolumeAttachment[];
  interfaces: InterfaceAttachment[];
}

/** Fields of a server record: the API object plus its attachments and interfaces. */
export function serverRecord(s: Server, c: ServerContext): ResourceRecord {
  const flavor = c.flavorsByName.get(s.flavor.original_name);
  const refs: Array<ResourceRef | undefined> = [
    ref('flavor', flavor?.id, 'flavor.original_name', s.flavor.original_name),
    s.image === '' ? undefined : ref('image', s.image.id, 'image.id'),
    s.key_name ? ref('keypair', keypairId(s.key_name, s.user_id, c.sessionUserId), 'key_name', s.key_name) : undefined,
    ...c.interfaces.map((iface, i) => ref('port', iface.port_id, `interfaces.${i}.port_id`)),
    ...c.attachments.map((a, i) => ref('volume', a.volumeId, `volume_attachments.${i}.volumeId`)),
    ...(c.serverGroupsOf.get(s.id) ?? []).map((g, i) => ref('server_group', g, `server_groups.${i}`)),
    ...(s.security_groups ?? []).map((g, i) => ref('security_group', c.securityGroupsByName.get(g.name), `security_groups.${i}.name`, g.name)),
  ];
  return makeRecord({
    kind: 'server',
    id: s.id,
    name: s.name,
    projectId: s.tenant_id,
    fields: { ...s, volume_attachments: c.attachments, interfaces: c.interfaces, server_groups: c.serverGroupsOf.get(s.id) ?? [] },
    refs,
  });
}

/** Flavors have no data; `size` stays unset (their disk is a property, not stored bytes). */
export function flavorRecord(f: Flavor, access?: string[]): ResourceRecord {
  return makeRecord({ kind: 'flavor', id: f.id, name: f.name, fields: access ? { ...f, project_access: access } : f });
}

export function keypairRecord(k: Keypair, ownerUserId: string | undefined, sessionUserId: string): ResourceRecord {
  const fields = ownerUserId && !k.user_id ? { ...k, user_id: ownerUserId } : k;
  return makeRecord({ kind: 'keypair', id: keypairId(k.name, ownerUserId ?? k.user_id, sessionUserId), name: k.name, fields });
}

export function serverGroupRecord(g: ServerGroup): ResourceRecord {
  // Members are servers that point to the group (server → server_group); no reverse reference,
  // so the group is restored before its servers.
  return makeRecord({ kind: 'server_group', id: g.id, name: g.name, projectId: g.project_id, fields: g });
}

/** Server ID → IDs of the server groups listing it as a member. */
export function serverGroupsByServer(groups: ServerGroup[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const g of groups) for (const member of g.members) map.set(member, [...(map.get(member) ?? []), g.id]);
  return map;
}
