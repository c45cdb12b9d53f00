// Catalog type aliases (from the OpenStack service-types authority): the same service may be
// registered as `volumev3`, `block-storage` or `volume`; permafrost asks by its own name.
import type { ServiceType } from '../openstack/types.js';

const ALIASES: Record<ServiceType, string[]> = {
  volumev3: ['block-storage', 'volumev3', 'volume', 'block_storage'],
  'object-store': ['object-store', 'object_store'],
  compute: ['compute'],
  image: ['image'],
  network: ['network'],
  identity: ['identity'],
  placement: ['placement'],
};

/** Catalog types to try for a service type, most preferred first. */
export function catalogTypesFor(type: ServiceType | string): string[] {
  const canonical = canonicalServiceType(type);
  return canonical ? ALIASES[canonical] : [type];
}

/** permafrost's name for any alias (`block-storage` → `volumev3`), undefined when unknown. */
export function canonicalServiceType(type: string): ServiceType | undefined {
  for (const [canonical, aliases] of Object.entries(ALIASES) as Array<[ServiceType, string[]]>) {
    if (canonical === type || aliases.includes(type)) return canonical;
  }
  return undefined;
}
