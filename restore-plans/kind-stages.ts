// The coarse restore order (identity → networks → images → volumes → servers → objects). Waves
// are these stages, each split into layers by the real references between steps.
import type { ResourceKind } from '../src/model/kinds.js';

export const STAGES = ['identity', 'networks', 'images', 'volumes', 'servers', 'objects'] as const;
export type Stage = (typeof STAGES)[number];

const STAGE_OF_KIND: Record<ResourceKind, Stage> = {
  project: 'identity',
  user: 'identity',
  group: 'identity',
  role: 'identity',
  role_assignment: 'identity',
  application_credential: 'identity',
  network: 'networks',
  subnet: 'networks',
  subnet_pool: 'networks',
  port: 'networks',
  router: 'networks',
  security_group: 'networks',
  security_group_rule: 'networks',
  floating_ip: 'networks',
  qos_policy: 'networks',
  image: 'images',
  volume: 'volumes',
  volume_snapshot: 'volumes',
  volume_type: 'volumes',
  server: 'servers',
  flavor: 'servers',
  keypair: 'servers',
  server_group: 'servers',
  container: 'objects',
  object: 'objects',
};

export function stageOf(kind: ResourceKind): number {
  return STAGES.indexOf(STAGE_OF_KIND[kind]);
}

/** Deterministic order of kinds inside a wave: the kind list order of src/model/kinds.ts. */
export const KIND_ORDER: readonly ResourceKind[] = Object.keys(STAGE_OF_KIND) as ResourceKind[];

/** Code-point order: the same on every machine, whatever the locale (plans must be reproducible). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
