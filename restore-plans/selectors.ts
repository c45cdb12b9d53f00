// `--only KIND:NAME|ID` selectors of a selective restore (`server:web-1`, `volume:<id>`,
// `container:photos`, `object:photos/2024/a.jpg`, `network:demo-net`).
import { isResourceKind, RESOURCE_KINDS, type ResourceKind } from '../src/model/kinds.js';
import type { ResourceRecord } from '../src/model/resource.js';
import { UsageError } from '../src/errors.js';
import { objectPathOf } from './resource-identity.js';

export interface Selector {
  kind: ResourceKind;
  value: string;
}

export function parseSelector(text: string): Selector {
  const index = text.indexOf(':');
  if (index <= 0 || index === text.length - 1) {
    throw new UsageError(`--only "${text}" is not KIND:NAME (e.g. --only server:web-1, --only volume:<id>)`);
  }
  const kind = text.slice(0, index).trim().replace(/-/g, '_');
  if (!isResourceKind(kind)) {
    throw new UsageError(`--only "${text}": unknown kind "${kind}"; known kinds: ${RESOURCE_KINDS.join(', ')}`);
  }
  return { kind, value: text.slice(index + 1).trim() };
}

export function formatSelector(selector: Selector): string {
  return `${selector.kind}:${selector.value}`;
}

/** Whether a record is what the selector names: by ID, by name, and objects also by container/name. */
export function selectorMatches(selector: Selector, record: ResourceRecord): boolean {
  if (record.kind !== selector.kind) return false;
  if (record.id === selector.value || record.name === selector.value) return true;
  return record.kind === 'object' && objectPathOf(record) === selector.value;
}
