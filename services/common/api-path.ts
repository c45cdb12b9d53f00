// Catalog endpoints differ in whether they carry the API version (`http://h:9292` vs
// `http://h:9292/v2`, `http://h:5000` vs `http://h:5000/v3`). Clients build their paths through
// this helper so they work with either form.
import type { ServiceClient } from '../../src/openstack/types.js';

/** `versioned(client, '/v2', '/images')` → `/v2/images`, or `/images` if the endpoint ends in /v2. */
export function versionedPath(client: Pick<ServiceClient, 'endpoint'>, version: string, path: string): string {
  const endpoint = client.endpoint.replace(/\/+$/, '');
  return endpoint.endsWith(version) ? path : `${version}${path}`;
}

/** Percent-encodes one path segment (IDs, names); keeps nothing special. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
