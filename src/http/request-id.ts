// The request ID each OpenStack service returns, so that a failure can be found in its logs.
const HEADERS = ['x-openstack-request-id', 'x-compute-request-id', 'x-trans-id', 'x-openstack-nova-request-id'];

export function requestIdOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  for (const h of HEADERS) {
    const v = headers[h];
    if (typeof v === 'string' && v) return v;
    if (Array.isArray(v) && v[0]) return v[0];
  }
  return undefined;
}
