// Microversion negotiation for compute and volume: read the version document at the API root,
// pick min(wanted, server max), and refuse clearly when the server cannot give the minimum
// the calling code needs.
import { ConfigError } from '../errors.js';

export interface VersionRange {
  min: string;
  max: string;
}

export type MicroversionService = 'compute' | 'volume';

export function parseMicroversion(v: string): [number, number] {
  const m = /^(\d+)\.(\d+)$/.exec(v.trim());
  if (!m) throw new ConfigError(`"${v}" is not a microversion (expected MAJOR.MINOR, e.g. 2.79)`);
  return [Number(m[1]), Number(m[2])];
}

export function compareMicroversions(a: string, b: string): number {
  const [a1, a2] = parseMicroversion(a);
  const [b1, b2] = parseMicroversion(b);
  return a1 !== b1 ? a1 - b1 : a2 - b2;
}

/** URL of the version document: the endpoint cut after its version segment (`/v2.1`, `/v3`). */
export function versionRootOf(endpoint: string): string {
  const u = new URL(endpoint);
  const segments = u.pathname.split('/').filter(Boolean);
  let idx = -1;
  segments.forEach((s, i) => {
    if (/^v\d+(\.\d+)?$/.test(s)) idx = i;
  });
  const kept = idx >= 0 ? segments.slice(0, idx + 1) : segments;
  return `${u.origin}/${kept.join('/')}${kept.length ? '/' : ''}`;
}

/** Extracts the microversion range from a version document (`version` or `versions`). */
export function rangeFromVersionDocument(doc: unknown, endpoint: string): VersionRange | undefined {
  if (doc === null || typeof doc !== 'object') return undefined;
  const d = doc as Record<string, unknown>;
  const candidates: Record<string, unknown>[] = [];
  if (d.version && typeof d.version === 'object') candidates.push(d.version as Record<string, unknown>);
  if (Array.isArray(d.versions)) candidates.push(...(d.versions as Record<string, unknown>[]));
  // With several versions (root document), prefer the one the endpoint points at.
  const segment = new URL(endpoint).pathname.split('/').find((s) => /^v\d+(\.\d+)?$/.test(s));
  const preferred =
    candidates.find((c) => segment && typeof c.id === 'string' && (c.id === segment || c.id.startsWith(`${segment}.`) || segment.startsWith(c.id))) ??
    candidates.find((c) => c.status === 'CURRENT') ??
    candidates[0];
  if (!preferred) return undefined;
  const max = preferred.version;
  const min = preferred.min_version;
  if (typeof max !== 'string' || typeof min !== 'string' || !max || !min) return undefined;
  return { min, max };
}

/** The microversion to send, or a ConfigError when the cloud cannot serve what is needed. */
export function chooseMicroversion(input: {
  service: MicroversionService;
  endpoint: string;
  range: VersionRange | undefined;
  wanted?: string;
  required?: string;
}): string | undefined {
  const { service, endpoint, range, wanted, required } = input;
  if (!range) {
    if (required) throw new ConfigError(`${service} at ${endpoint} does not support microversions, but permafrost needs ${service} ${required} or newer; the cloud is too old`);
    return undefined;
  }
  let chosen = range.max;
  if (wanted && compareMicroversions(wanted, range.max) < 0) chosen = wanted;
  if (required && compareMicroversions(chosen, required) < 0) {
    throw new ConfigError(
      `${service} at ${endpoint} supports microversions ${range.min}–${range.max}, but permafrost needs ${service} ${required} or newer; the cloud is too old for this operation`,
    );
  }
  if (compareMicroversions(chosen, range.min) < 0) {
    throw new ConfigError(`${service} at ${endpoint} supports microversions ${range.min}–${range.max} only; permafrost asked for at most ${chosen}`);
  }
  return chosen;
}

/** Headers that select a microversion. */
export function microversionHeaders(service: MicroversionService, version: string | undefined): Record<string, string> {
  if (!version) return {};
  const headers: Record<string, string> = { 'OpenStack-API-Version': `${service} ${version}` };
  // Nova before 2.27 only understood its own header; sending both is harmless.
  if (service === 'compute') headers['X-OpenStack-Nova-API-Version'] = version;
  return headers;
}
