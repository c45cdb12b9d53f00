// What a Keystone token response tells us: who, which scope, which roles, the catalog, and
// when it expires.
import { PermafrostError } from '../errors.js';
import type { ProjectScope } from '../openstack/types.js';
import type { CatalogEntry } from './service-catalog.js';

export interface TokenInfo {
  value: string;
  expiresAt: number;
  issuedAt: number;
  userId: string;
  userName?: string;
  project?: ProjectScope;
  domain?: { id: string; name: string };
  roles: string[];
  catalog: CatalogEntry[];
  methods: string[];
  applicationCredentialId?: string;
}

interface TokenBody {
  token?: {
    expires_at?: string;
    issued_at?: string;
    methods?: string[];
    user?: { id: string; name?: string };
    project?: { id: string; name: string; domain?: { id: string; name?: string } };
    domain?: { id: string; name: string };
    roles?: Array<{ id: string; name: string }>;
    catalog?: CatalogEntry[];
    application_credential?: { id: string };
  };
}

export function parseTokenResponse(subjectToken: string | undefined, body: unknown, where: string): TokenInfo {
  const t = (body as TokenBody | undefined)?.token;
  if (!subjectToken || !t?.user?.id || !t.expires_at) {
    throw new PermafrostError(`${where}: Keystone answered without a usable token (no X-Subject-Token, user or expiry); is auth_url really a Keystone v3 endpoint?`);
  }
  const expiresAt = Date.parse(t.expires_at);
  const issuedAt = t.issued_at ? Date.parse(t.issued_at) : Date.now();
  return {
    value: subjectToken,
    expiresAt,
    issuedAt: Number.isNaN(issuedAt) ? Date.now() : issuedAt,
    userId: t.user.id,
    userName: t.user.name,
    project: t.project ? { id: t.project.id, name: t.project.name, domainId: t.project.domain?.id ?? 'default' } : undefined,
    domain: t.domain,
    roles: (t.roles ?? []).map((r) => r.name),
    catalog: t.catalog ?? [],
    methods: t.methods ?? [],
    applicationCredentialId: t.application_credential?.id,
  };
}

/**
 * Re-authenticate this long before expiry: a quarter of the token's lifetime, at most 2 minutes
 * (so a 60 s token is renewed 15 s ahead, a 24 h token 2 minutes ahead).
 */
export function refreshMarginMs(info: Pick<TokenInfo, 'expiresAt' | 'issuedAt'>): number {
  const lifetime = Math.max(0, info.expiresAt - info.issuedAt);
  return Math.min(120_000, Math.floor(lifetime / 4));
}

export function needsRefresh(info: Pick<TokenInfo, 'expiresAt' | 'issuedAt'>, now = Date.now()): boolean {
  return now >= info.expiresAt - refreshMarginMs(info);
}
