import type { ResourceKind } from './kinds.js';

/**
 * A reference from one resource to another, by the old (source-cloud) ID and, where the target
 * may differ, by name. `field` is the dotted path in `fields` that holds the reference, so the
 * restore planner can rewrite it with the new ID.
 */
export interface ResourceRef {
  kind: ResourceKind;
  id: string;
  name?: string;
  field: string;
}

/** Where a resource's bytes live in the repository (written by the backup runner). */
export interface DataStreamRef {
  /** Name of the stream inside the snapshot, e.g. `volume/<id>` or `object/<container>/<name>`. */
  stream: string;
  size: number;
  /** sha256 of the raw bytes, hex, to compare with what a cloud serves. */
  sha256: string;
  /** Extra checksums the cloud publishes (Glance `checksum` md5, Swift `etag`), for fidelity. */
  cloudChecksum?: string;
}

export type ResourceStatus = 'ok' | 'skipped' | 'failed';

/** One entry of inventory output and of a snapshot manifest. */
export interface ResourceRecord {
  kind: ResourceKind;
  id: string;
  name: string;
  /** Project the resource belongs to (old ID), when it has one. */
  projectId?: string;
  /** Size in bytes (volumes: GiB * 2^30, images: bytes, objects: bytes), when it has one. */
  size?: number;
  /** All fields a restore needs, as the API returned them (secrets removed). */
  fields: Record<string, unknown>;
  refs: ResourceRef[];
  data?: DataStreamRef[];
  status: ResourceStatus;
  /** Why a resource was skipped or failed; human-readable, no secrets. */
  reason?: string;
}

/** A kind that could not be listed at all (e.g. 403 for a member on an admin-only API). */
export interface SkippedKind {
  kind: ResourceKind;
  reason: string;
}
