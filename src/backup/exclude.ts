// `--exclude KIND:NAME` selectors: leave a resource (and its data) out of a backup. NAME matches
// the resource's name or ID; `*` is a wildcard (`object:demo-container/logs/*`).
import { isResourceKind, type ResourceKind } from '../model/kinds.js';
import { UsageError } from '../errors.js';
import type { ResourceRecord } from '../model/resource.js';

export interface ExcludeRule {
  kind: ResourceKind;
  pattern: string;
  regex: RegExp;
}

export function parseExclude(spec: string): ExcludeRule {
  const colon = spec.indexOf(':');
  const kind = colon > 0 ? spec.slice(0, colon) : '';
  const pattern = colon > 0 ? spec.slice(colon + 1) : '';
  if (!isResourceKind(kind) || pattern === '') {
    throw new UsageError(`--exclude "${spec}": expected KIND:NAME with a resource kind such as volume, server, object (e.g. volume:scratch-disk)`);
  }
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`, 'u');
  return { kind, pattern, regex };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The first rule that excludes the record, if any. */
export function excludedBy(record: ResourceRecord, rules: ExcludeRule[]): ExcludeRule | undefined {
  return rules.find((r) => r.kind === record.kind && (r.regex.test(record.name) || r.regex.test(record.id)));
}
