// openstacksdk's `<service_type>_endpoint_override` keys (and the older `<service>_endpoint`),
// mapped onto the catalog types permafrost uses. Service-type spellings follow the
// service-types authority: `block_storage`/`volume`/`volumev3`, `object_store`, ...
import type { ServiceType } from '../openstack/types.js';

const PREFIXES: Record<string, ServiceType> = {
  compute: 'compute',
  volume: 'volumev3',
  volumev3: 'volumev3',
  block_storage: 'volumev3',
  'block-storage': 'volumev3',
  image: 'image',
  network: 'network',
  object_store: 'object-store',
  'object-store': 'object-store',
  identity: 'identity',
  placement: 'placement',
};

/** Finds every endpoint override key of a raw cloud entry: [config key, service type, value]. */
export function findEndpointOverrides(raw: Record<string, unknown>): Array<[string, ServiceType, unknown]> {
  const out: Array<[string, ServiceType, unknown]> = [];
  for (const [key, value] of Object.entries(raw)) {
    const m = /^(.+?)_endpoint(?:_override)?$/.exec(key);
    if (!m) continue;
    const type = PREFIXES[m[1]!];
    if (type) out.push([key, type, value]);
  }
  return out;
}
