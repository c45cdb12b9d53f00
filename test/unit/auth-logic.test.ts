import { describe, expect, it } from 'vitest';
import { buildAuthRequest } from '../../src/auth/auth-request.js';
import { ServiceCatalog } from '../../src/auth/service-catalog.js';
import { canonicalServiceType, catalogTypesFor } from '../../src/auth/service-types.js';
import { needsRefresh, parseTokenResponse, refreshMarginMs } from '../../src/auth/token-info.js';

describe('auth request bodies', () => {
  it('password, project scope by name', () => {
    expect(
      buildAuthRequest(
        { kind: 'password', username: 'demo', userDomainName: 'Default', password: 'pw' },
        { kind: 'project', name: 'demo', domainName: 'Default' },
      ),
    ).toEqual({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'demo', domain: { name: 'Default' }, password: 'pw' } } },
        scope: { project: { name: 'demo', domain: { name: 'Default' } } },
      },
    });
  });
  it('password by user id, domain scope, unscoped', () => {
    expect(buildAuthRequest({ kind: 'password', userId: 'u1', password: 'pw' }, { kind: 'domain', id: 'default' })).toEqual({
      auth: { identity: { methods: ['password'], password: { user: { id: 'u1', password: 'pw' } } }, scope: { domain: { id: 'default' } } },
    });
    expect(buildAuthRequest({ kind: 'password', userId: 'u1', password: 'pw' }, { kind: 'unscoped' })).toEqual({
      auth: { identity: { methods: ['password'], password: { user: { id: 'u1', password: 'pw' } } } },
    });
  });
  it('application credential by id and by name (never with a scope)', () => {
    expect(buildAuthRequest({ kind: 'application_credential', id: 'ac', secret: 's' }, { kind: 'project', id: 'p' })).toEqual({
      auth: { identity: { methods: ['application_credential'], application_credential: { id: 'ac', secret: 's' } } },
    });
    expect(buildAuthRequest({ kind: 'application_credential', name: 'n', username: 'demo', userDomainId: 'default', secret: 's' }, { kind: 'unscoped' })).toEqual({
      auth: {
        identity: { methods: ['application_credential'], application_credential: { name: 'n', user: { name: 'demo', domain: { id: 'default' } }, secret: 's' } },
      },
    });
  });
});

describe('service catalog', () => {
  const catalog = new ServiceCatalog([
    {
      type: 'block-storage',
      endpoints: [
        { interface: 'public', region_id: 'R1', url: 'http://c1:8776/v3/p/' },
        { interface: 'internal', region_id: 'R1', url: 'http://c1-int:8776/v3/p' },
        { interface: 'public', region_id: 'R2', url: 'http://c2:8776/v3/p' },
      ],
    },
    { type: 'volumev3', endpoints: [{ interface: 'public', region_id: 'R1', url: 'http://old:8776/v3/p' }] },
    { type: 'compute', endpoints: [{ interface: 'public', region: 'R1', url: 'http://n:8774/v2.1' }] },
  ]);
  it('resolves aliases, interface and region', () => {
    expect(catalog.find('volumev3', 'public', 'R1')).toBe('http://c1:8776/v3/p');
    expect(catalog.find('volumev3', 'internal', 'R1')).toBe('http://c1-int:8776/v3/p');
    expect(catalog.find('volumev3', 'public', 'R2')).toBe('http://c2:8776/v3/p');
    expect(catalog.find('compute', 'public', 'R1')).toBe('http://n:8774/v2.1');
    expect(catalog.find('compute', 'admin', 'R1')).toBeUndefined();
    expect(catalog.find('image', 'public')).toBeUndefined();
    expect(catalog.has('volumev3')).toBe(true);
    expect(catalog.has('object-store')).toBe(false);
    expect(catalog.regions().sort()).toEqual(['R1', 'R2']);
    expect(catalog.describe()).toContain('block-storage (public@R1, internal@R1, public@R2)');
  });
  it('knows the aliases both ways', () => {
    expect(catalogTypesFor('volumev3')).toContain('block-storage');
    expect(canonicalServiceType('block-storage')).toBe('volumev3');
    expect(canonicalServiceType('volume')).toBe('volumev3');
    expect(canonicalServiceType('object_store')).toBe('object-store');
    expect(canonicalServiceType('dns')).toBeUndefined();
  });
});

describe('token expiry', () => {
  it('renews a quarter of the lifetime ahead, at most 2 minutes', () => {
    expect(refreshMarginMs({ issuedAt: 0, expiresAt: 60_000 })).toBe(15_000);
    expect(refreshMarginMs({ issuedAt: 0, expiresAt: 86_400_000 })).toBe(120_000);
    expect(needsRefresh({ issuedAt: 0, expiresAt: 60_000 }, 44_000)).toBe(false);
    expect(needsRefresh({ issuedAt: 0, expiresAt: 60_000 }, 45_000)).toBe(true);
  });
  it('parses a token response', () => {
    const info = parseTokenResponse(
      'tok',
      {
        token: {
          expires_at: '2026-01-01T01:00:00.000000Z',
          issued_at: '2026-01-01T00:00:00.000000Z',
          methods: ['password'],
          user: { id: 'u', name: 'demo' },
          project: { id: 'p', name: 'demo', domain: { id: 'default', name: 'Default' } },
          roles: [{ id: 'r1', name: 'member' }, { id: 'r2', name: 'reader' }],
          catalog: [],
        },
      },
      'here',
    );
    expect(info).toMatchObject({ value: 'tok', userId: 'u', project: { id: 'p', name: 'demo', domainId: 'default' }, roles: ['member', 'reader'] });
    expect(info.expiresAt - info.issuedAt).toBe(3_600_000);
    expect(() => parseTokenResponse(undefined, {}, 'here')).toThrow(/no X-Subject-Token/);
  });
});
