// What the planner reads: the snapshot (manifest of one project) and facts about the target
// cloud. Both are plain data so that the planner stays pure; the CLI/executor gathers the facts
// from the target cloud (see docs/restore-plans.md "Target facts").
import type { ResourceKind } from '../src/model/kinds.js';
import type { ResourceRecord, ResourceRef } from '../src/model/resource.js';

/** The snapshot being restored: one project's manifest plus where it came from. */
export interface SnapshotManifestInput {
  snapshotId: string;
  /** ISO 8601 time of the snapshot, shown in the plan. */
  snapshotTime?: string;
  source: {
    cloud: string;
    region?: string;
    /** Keystone URL of the source cloud; decides "same cloud" more reliably than a clouds.yaml name. */
    authUrl?: string;
    project: { id: string; name: string; domainId?: string };
  };
  resources: ResourceRecord[];
}

export interface TargetFlavor {
  id: string;
  name: string;
  vcpus: number;
  /** MiB */
  ram: number;
  /** GB (root disk) */
  disk: number;
  ephemeral?: number;
  swap?: number;
}

export interface TargetNetwork {
  id: string;
  name: string;
  /** `router:external` */
  external: boolean;
  shared?: boolean;
}

export interface TargetImage {
  id: string;
  name: string;
  /** Glance `checksum` (md5 hex). */
  checksum?: string;
  /** Glance multihash (`os_hash_algo`/`os_hash_value`, sha512 by default). */
  hashAlgo?: string;
  hashValue?: string;
  status?: string;
  visibility?: string;
  /** Owning project; with `visibility`, decides whether the target project may use the image. */
  owner?: string;
}

export interface NamedTarget {
  id: string;
  name: string;
  isDefault?: boolean;
}

/**
 * A resource that already exists in the target project. Inventory records of the target
 * project fit as they are; `sourceId` is the old ID a previous restore stamped on it (see
 * source-marker.ts), which makes re-running a restore idempotent.
 */
export interface ExistingResource {
  kind: ResourceKind;
  id: string;
  name: string;
  fields?: Record<string, unknown>;
  refs?: ResourceRef[];
  sourceId?: string;
}

export interface TargetFacts {
  cloud: string;
  region?: string;
  authUrl?: string;
  /** Whether the restoring identity has the admin role (projects, users, flavors need it). */
  isAdmin: boolean;
  project: { name: string; id?: string; exists: boolean; domainId?: string };
  flavors: TargetFlavor[];
  /** Networks visible to the target project that it does not own (external and shared). */
  networks: TargetNetwork[];
  subnetPools?: NamedTarget[];
  volumeTypes: NamedTarget[];
  /** Undefined = unknown (not checked, a warning says so); an empty list means "none". */
  availabilityZones?: { compute: string[]; volume: string[] };
  images: TargetImage[];
  users: NamedTarget[];
  roles: NamedTarget[];
  groups?: NamedTarget[];
  /** Resources already in the target project. */
  existing: ExistingResource[];
}
