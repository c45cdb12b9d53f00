// The one set of resource-kind names that every command uses (selectors, reports, manifests,
// inventory). Extend the list, never rename an entry: snapshots written today must stay readable.
export const RESOURCE_KINDS = [
  'project',
  'user',
  'group',
  'role',
  'role_assignment',
  'application_credential',
  'network',
  'subnet',
  'subnet_pool',
  'port',
  'router',
  'security_group',
  'security_group_rule',
  'floating_ip',
  'qos_policy',
  'image',
  'volume',
  'volume_snapshot',
  'volume_type',
  'server',
  'flavor',
  'keypair',
  'server_group',
  'container',
  'object',
] as const;

export type ResourceKind = (typeof RESOURCE_KINDS)[number];

export function isResourceKind(value: string): value is ResourceKind {
  return (RESOURCE_KINDS as readonly string[]).includes(value);
}
