// The manifest document of a project snapshot (`writeDocument('manifest', …)`): everything a
// restore and `permafrost show` need to know about the project, its resources and its data.
import type { ResourceRecord, SkippedKind } from '../model/resource.js';

export const MANIFEST_DOCUMENT = 'manifest';
export const MANIFEST_FORMAT = 'permafrost-project-manifest/1';

export interface ServiceOutcome {
  name: string;
  /** absent: the cloud has no such service; failed: listing threw (see reason). */
  status: 'ok' | 'absent' | 'failed' | 'not-selected';
  reason?: string;
  /**
   * Facts about the service as a whole, not tied to one resource: `objects` → `account`
   * (Swift account metadata and quota); `networks` → `optionalServices` (load balancers,
   * firewalls, VPNs, QoS: present or absent, and how that was detected).
   */
  facts?: Record<string, unknown>;
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  backupId: string;
  startedAt: string;
  finishedAt: string;
  cloud: string;
  region?: string;
  project: { id: string; name: string; domainId?: string };
  /** The user that ran the backup and its roles on the project (what it could see). */
  actor: { userId: string; roles: string[] };
  services: ServiceOutcome[];
  resources: ResourceRecord[];
  /** Kinds the caller may not read (e.g. role assignments as a member). */
  skippedKinds: SkippedKind[];
  /** Kinds whose listing failed for another reason. */
  failedKinds: SkippedKind[];
}
