// The service catalog of a scoped token: endpoint lookup by type (aliases resolved),
// interface and region.
import type { Interface, ServiceType } from '../openstack/types.js';
import { catalogTypesFor } from './service-types.js';

export interface CatalogEndpoint {
  interface: string;
  url: string;
  region_id?: string | null;
  region?: string | null;
}

export interface CatalogEntry {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export class ServiceCatalog {
  constructor(readonly entries: CatalogEntry[]) {}

  /** Endpoint URL (no trailing slash), or undefined when the catalog has none matching. */
  find(type: ServiceType, iface: Interface, region?: string): string | undefined {
    for (const catalogType of catalogTypesFor(type)) {
      for (const entry of this.entries.filter((e) => e.type === catalogType)) {
        const ep = entry.endpoints.find(
          (e) => e.interface === iface && (region === undefined || e.region_id === region || e.region === region),
        );
        if (ep) return ep.url.replace(/\/+$/, '');
      }
    }
    return undefined;
  }

  has(type: ServiceType): boolean {
    return catalogTypesFor(type).some((t) => this.entries.some((e) => e.type === t && e.endpoints.length > 0));
  }

  /** What the catalog offers, for "no such endpoint" messages. */
  describe(): string {
    return (
      this.entries
        .map((e) => `${e.type} (${[...new Set(e.endpoints.map((p) => `${p.interface}@${p.region_id ?? p.region ?? '-'}`))].join(', ')})`)
        .join('; ') || 'an empty catalog'
    );
  }

  /** Regions present in the catalog. */
  regions(): string[] {
    return [...new Set(this.entries.flatMap((e) => e.endpoints.map((p) => p.region_id ?? p.region ?? '')).filter(Boolean))];
  }
}
