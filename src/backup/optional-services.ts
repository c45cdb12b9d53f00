// Optional network services a project may use that permafrost does not export as resources:
// load balancers (Octavia in the catalog, or Neutron's lbaasv2), firewalls (fwaas / fwaas_v2),
// VPNs (vpnaas), and QoS (the qos extension; its policies ARE exported when it exists).
// Detected from the catalog and Neutron's extension list, and recorded in the manifest as the
// `networks` service fact `optionalServices`, so a reader knows whether "no load balancer in
// the snapshot" means "none existed" or "not looked at".
import type { ServiceType, Session } from '../openstack/types.js';
import { NetworkClient } from '../../services/networks/client.js';

export interface OptionalServiceFact {
  present: boolean;
  /** How presence was decided, and what the backup did about it. */
  detail: string;
}

export async function detectOptionalNetworkServices(session: Session): Promise<Record<string, OptionalServiceFact>> {
  let aliases: Set<string> | undefined;
  let extensionError: string | undefined;
  try {
    aliases = new Set((await (await NetworkClient.open(session)).listExtensions()).map((e) => e.alias));
  } catch (err) {
    extensionError = err instanceof Error ? err.message : String(err);
  }
  const ext = (names: string[]): string | undefined => names.find((n) => aliases?.has(n));
  const unknown = `unknown: Neutron's extension list could not be read (${extensionError ?? '?'})`;
  const fact = (what: string, catalogType: string | undefined, extensions: string[], exported: boolean): OptionalServiceFact => {
    const inCatalog = catalogType !== undefined && session.hasService(catalogType as ServiceType);
    const found = ext(extensions);
    if (inCatalog || found) {
      const how = inCatalog ? `the catalog has a ${catalogType} service` : `Neutron has the ${found} extension`;
      return { present: true, detail: `${how}: ${exported ? 'exported' : `${what} are not exported by this version of permafrost`}` };
    }
    if (!aliases) return { present: false, detail: unknown };
    const where = [catalogType ? `no ${catalogType} service in the catalog` : undefined, `no ${extensions.join('/')} extension in Neutron`].filter(Boolean).join(', ');
    return { present: false, detail: `absent: ${where}` };
  };
  return {
    loadBalancers: fact('load balancers', 'load-balancer', ['lbaasv2', 'lbaas'], false),
    firewalls: fact('firewalls', undefined, ['fwaas_v2', 'fwaas'], false),
    vpns: fact('VPN services', undefined, ['vpnaas'], false),
    qos: fact('QoS policies', undefined, ['qos'], true),
  };
}
