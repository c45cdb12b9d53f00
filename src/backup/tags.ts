// `--tag K=V` options of `permafrost backup`, and the tags every project snapshot carries.
import { UsageError } from '../errors.js';

/** Tag keys the backup sets itself; user tags may not override them. */
export const RESERVED_TAGS = ['projectId', 'projectName', 'cloud', 'region', 'backupId', 'kinds'] as const;

export function parseUserTags(specs: string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new UsageError(`--tag "${spec}": expected KEY=VALUE (e.g. --tag schedule=nightly)`);
    const key = spec.slice(0, eq);
    if ((RESERVED_TAGS as readonly string[]).includes(key)) {
      throw new UsageError(`--tag "${spec}": "${key}" is set by the backup itself; choose another key`);
    }
    tags[key] = spec.slice(eq + 1);
  }
  return tags;
}

/** `server=2,volume=3,…` — compact, sorted, readable in `permafrost snapshots`. */
export function kindCountsTag(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k}=${n}`)
    .join(',');
}
