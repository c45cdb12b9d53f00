// What the generic field comparison cannot know about how a restore works, applied before and
// after it: annotations the backup adds to records (how the data was read) are not resource
// fields; what a versioned or large object's listing derives from upload times is not content;
// the project placeholder of a plan made before its project existed is the project's ID; and
// resources belong to the user who restored them.
import type { FidelityReport } from '../../restore-plans/fidelity.js';
import type { ResourceRecord } from '../model/resource.js';
import { comparableVersions } from './object-versions.js';

/** Fields the backup runner adds to a record (export details), absent from a live inventory. */
const BACKUP_ANNOTATIONS = ['dataPath', 'rootDiskData', 'largeObject'];

function isSlo(fields: Record<string, unknown>): boolean {
  const lo = fields.largeObject as { type?: unknown } | undefined;
  return lo?.type === 'slo' || fields.staticLargeObject === true || typeof fields.slo_etag === 'string';
}

/** A copy of a record's fields (snapshot or target) without what the comparison must not see. */
export function comparableFields(kind: ResourceRecord['kind'], fields: Record<string, unknown>, slo = isSlo(fields)): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(fields);
  for (const key of BACKUP_ANNOTATIONS) delete out[key];
  // a versioned container's history: what each version was, not its ID or upload time
  if (kind === 'container' && Array.isArray(out.objectVersions)) out.objectVersions = comparableVersions(out.objectVersions);
  if (kind === 'object') {
    // object versioning lists the current version as a symlink to a version ID made at upload
    if (typeof out.symlink_path === 'string' && out.symlink_path.includes('version-id=')) delete out.symlink_path;
    if (slo) {
      // an SLO manifest's listing hash is the md5 of the stored manifest, which holds upload times
      delete out.hash;
      if (Array.isArray(out.slo_segments)) out.slo_segments = (out.slo_segments as Record<string, unknown>[]).map(({ last_modified: _drop, ...rest }) => rest);
    }
  }
  return out;
}

export function resolveProjectPlaceholders(mapped: Record<string, { from: unknown; to: unknown }>, projectName: string, projectId: string): Record<string, { from: unknown; to: unknown }> {
  const placeholder = `(project ${projectName})`;
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const [path, rule] of Object.entries(mapped)) out[path] = rule.to === placeholder ? { from: rule.from, to: projectId } : rule;
  return out;
}

/** `user_id` of a restored resource is the restoring user: mapped, not a difference. */
export function ownerAsMapped(report: FidelityReport): FidelityReport {
  const owner = report.differences.filter((d) => d.path === 'user_id');
  if (owner.length === 0) return report;
  const differences = report.differences.filter((d) => d.path !== 'user_id');
  return {
    ...report,
    differences,
    mapped: [...report.mapped, ...owner.map((d) => ({ path: d.path, from: d.expected, to: d.actual }))],
    identical: differences.length === 0 && report.data.every((x) => x.verdict !== 'different'),
  };
}
