// How the planner recognises "the same resource" in the target project: by ID, by the old ID a
// previous restore stamped on it, or by a natural key (name, scoped where names repeat).
import type { ResourceKind } from '../src/model/kinds.js';
import type { ResourceRef } from '../src/model/resource.js';

interface Identifiable {
  kind: ResourceKind;
  name: string;
  fields?: Record<string, unknown>;
  refs?: ResourceRef[];
}

/** `container/object` for an object record (names repeat across containers). */
export function objectPathOf(record: Identifiable): string {
  const container =
    record.refs?.find((ref) => ref.kind === 'container')?.name ??
    (typeof record.fields?.container === 'string' ? record.fields.container : undefined) ??
    record.refs?.find((ref) => ref.kind === 'container')?.id;
  const objectName = typeof record.fields?.name === 'string' ? record.fields.name : record.name;
  return container === undefined || objectName.startsWith(`${container}/`) ? objectName : `${container}/${objectName}`;
}

/**
 * A key that is the same for a resource in the snapshot and its twin in the target, or
 * undefined when the kind has no usable natural key (unnamed ports, floating IPs): those are
 * matched by ID or restore marker only.
 */
export function naturalKey(record: Identifiable): string | undefined {
  const fields = record.fields ?? {};
  switch (record.kind) {
    case 'object':
      return objectPathOf(record);
    case 'security_group_rule': {
      const group = record.refs?.find((ref) => ref.kind === 'security_group' && ref.field === 'security_group_id');
      const remote = record.refs?.find((ref) => ref.kind === 'security_group' && ref.field === 'remote_group_id');
      return [
        group?.name ?? fields.security_group_id,
        fields.direction,
        fields.ethertype,
        fields.protocol ?? 'any',
        fields.port_range_min ?? '',
        fields.port_range_max ?? '',
        fields.remote_ip_prefix ?? '',
        remote ? `group:${remote.name ?? remote.id}` : '',
      ]
        .map((part) => String(part ?? ''))
        .join('|');
    }
    case 'role_assignment': {
      const part = (kind: ResourceKind) => {
        const ref = record.refs?.find((r) => r.kind === kind);
        return ref ? `${kind}:${ref.name ?? ref.id}` : '';
      };
      // The project is left out: the assignment is looked for in the target project anyway,
      // whose name may differ from the source's.
      return [part('user'), part('group'), part('role')].join('|');
    }
    default:
      return record.name === '' ? undefined : record.name;
  }
}
