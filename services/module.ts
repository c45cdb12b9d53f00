// The plug-in contract of a service module. Every folder services/<name>/ exports a
// `serviceModule` from its module.ts; services/registry.ts discovers them, so a new service
// plugs in without edits to the others or to the core.
import type { ResourceKind } from '../src/model/kinds.js';
import type { ResourceRecord, SkippedKind } from '../src/model/resource.js';
import type { ServiceType, Session } from '../src/openstack/types.js';
import type { ExportDataHook } from './data-export.js';
import type { ServiceRestoreHooks } from './restore-hooks.js';

export interface InventoryContext {
  session: Session;
  /** The project whose resources are listed (old ID). */
  projectId: string;
  /** Page size to request on every list call (tests use small pages). */
  pageSize?: number;
  signal?: AbortSignal;
}

export interface InventoryResult {
  resources: ResourceRecord[];
  /** Kinds not readable with the caller's rights (403 → "requires admin") or not offered. */
  skipped: SkippedKind[];
  /** Kinds that could not be listed for another reason (server error, timeout): a partial run. */
  failed?: SkippedKind[];
}

export interface ServiceModule {
  /** Short name used by `--services` (identity, compute, volumes, images, networks, objects). */
  name: string;
  /** Catalog types the module needs; a cloud without them has the module reported as absent. */
  serviceTypes: ServiceType[];
  /** Kinds the module owns. */
  kinds: ResourceKind[];
  /** Discover the project's resources with every field a restore needs and their references. */
  inventory(ctx: InventoryContext): Promise<InventoryResult>;
  /**
   * Optional: turns inventory records whose resources carry bytes (images, volumes, server
   * disks, objects) into export jobs for the backup runner (see services/data-export.ts).
   */
  exportData?: ExportDataHook;
  /**
   * Optional: recreates the module's kinds from snapshot records for the restore executor
   * (see services/restore-hooks.ts); a kind without a restorer fails its restore steps.
   */
  restore?: ServiceRestoreHooks;
}
