// Swift metadata travels in HTTP headers. Node reads header values as latin1 and refuses
// characters above U+00FF, while Swift stores UTF-8 bytes: values are converted byte-exact in
// both directions so unicode metadata survives a round trip.

export type HeaderBag = Record<string, string | string[] | undefined>;

/** A header value as Swift meant it (UTF-8), from Node's latin1 reading. */
export function decodeHeaderValue(value: string): string {
  const decoded = Buffer.from(value, 'latin1').toString('utf8');
  // Invalid UTF-8 (a genuinely latin1 value) decodes to U+FFFD: keep the original then.
  return decoded.includes('\uFFFD') ? value : decoded;
}

/** A UTF-8 string as the latin1 "byte string" Node sends unchanged on the wire. */
export function encodeHeaderValue(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1');
}

export function header(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  const single = Array.isArray(value) ? value[0] : value;
  return single === undefined ? undefined : decodeHeaderValue(single);
}

export function numberHeader(headers: HeaderBag, name: string): number | undefined {
  const value = header(headers, name);
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** User metadata (`X-<scope>-Meta-*`) as lower-case keys without the prefix. */
export function metadataFrom(headers: HeaderBag, scope: 'account' | 'container' | 'object'): Record<string, string> {
  const prefix = `x-${scope}-meta-`;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!lower.startsWith(prefix) || value === undefined) continue;
    out[lower.slice(prefix.length)] = decodeHeaderValue(Array.isArray(value) ? value.join(',') : value);
  }
  return out;
}

/** Request headers that set metadata (and remove the keys in `remove`). */
export function metadataHeaders(scope: 'account' | 'container' | 'object', metadata: Record<string, string> = {}, remove: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const cap = scope.charAt(0).toUpperCase() + scope.slice(1);
  for (const [key, value] of Object.entries(metadata)) out[`X-${cap}-Meta-${key}`] = encodeHeaderValue(value);
  // Objects have no X-Remove-*: a POST replaces all object metadata, so removal is "not sent".
  if (scope !== 'object') for (const key of remove) out[`X-Remove-${cap}-Meta-${key}`] = 'x';
  return out;
}

/**
 * Metadata keys that are credentials (temp-URL keys, container-sync key): never written to an
 * inventory or manifest. Returned separately so callers can say that they were withheld.
 */
export const SECRET_METADATA_KEYS = new Set(['temp-url-key', 'temp-url-key-2']);

export function withoutSecrets(metadata: Record<string, string>): { metadata: Record<string, string>; withheld: string[] } {
  const clean: Record<string, string> = {};
  const withheld: string[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    if (SECRET_METADATA_KEYS.has(key)) withheld.push(key);
    else clean[key] = value;
  }
  return { metadata: clean, withheld };
}
