import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCloudConfig } from '../../src/config/load-cloud-config.js';
import { ConfigError } from '../../src/errors.js';

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pf-config-err-'));
  file = path.join(dir, 'clouds.yaml');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function messageFor(yaml: string, cloud = 'foo'): string {
  writeFileSync(file, yaml);
  try {
    loadCloudConfig({ cloud, env: { HOME: dir }, cwd: dir, home: dir });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const prefix = () => `clouds.yaml ${file}, cloud "foo": `;

describe('one clear error per bad config', () => {
  it('missing auth_url', () => {
    expect(messageFor(`clouds:\n  foo:\n    auth:\n      username: u\n      password: p-secret\n`)).toBe(`${prefix()}auth.auth_url is missing`);
  });
  it('missing auth section', () => {
    expect(messageFor(`clouds:\n  foo:\n    region_name: R\n`)).toBe(`${prefix()}auth is missing`);
  });
  it('cloud entry that is not a mapping', () => {
    expect(messageFor(`clouds:\n  foo: 42\n`)).toContain(`${prefix()}auth is missing`);
  });
  it('missing password', () => {
    expect(messageFor(`clouds:\n  foo:\n    auth:\n      auth_url: http://k/v3\n      username: u\n`)).toBe(`${prefix()}auth.password is missing`);
  });
  it('missing username', () => {
    expect(messageFor(`clouds:\n  foo:\n    auth:\n      auth_url: http://k/v3\n      password: p-secret\n`)).toBe(`${prefix()}auth.username is missing (or give auth.user_id)`);
  });
  it('wrong interface', () => {
    expect(messageFor(`clouds:\n  foo:\n    interface: private\n    auth: {auth_url: http://k/v3, username: u, password: pw-1}\n`)).toBe(
      `${prefix()}interface must be one of public, internal, admin, publicURL, internalURL, adminURL (got "private")`,
    );
  });
  it('wrong type', () => {
    expect(messageFor(`clouds:\n  foo:\n    region_name: [a, b]\n    auth: {auth_url: http://k/v3, username: u, password: pw-1}\n`)).toBe(
      `${prefix()}region_name must be a string (got ["a","b"])`,
    );
  });
  it('wrong auth_type', () => {
    expect(messageFor(`clouds:\n  foo:\n    auth_type: token\n    auth: {auth_url: http://k/v3}\n`)).toBe(
      `${prefix()}auth_type must be one of password, v3password, v3applicationcredential (got "token")`,
    );
  });
  it('a secret of the wrong type is not echoed', () => {
    const msg = messageFor(`clouds:\n  foo:\n    auth: {auth_url: http://k/v3, username: u, password: [hunter22]}\n`);
    expect(msg).toBe(`${prefix()}auth.password has the wrong type`);
    expect(msg).not.toContain('hunter22');
  });
  it('auth_url that is not a URL, or v2.0', () => {
    expect(messageFor(`clouds:\n  foo:\n    auth: {auth_url: "keystone:5000", username: u, password: pw-1}\n`)).toBe(
      `${prefix()}auth.auth_url must be an http:// or https:// URL (got "keystone:5000")`,
    );
    expect(messageFor(`clouds:\n  foo:\n    auth: {auth_url: "http://k:5000/v2.0/", username: u, password: pw-1}\n`)).toContain('Keystone v2.0');
  });
  it('identity_api_version other than 3', () => {
    expect(messageFor(`clouds:\n  foo:\n    identity_api_version: 2\n    auth: {auth_url: http://k/v3, username: u, password: pw-1}\n`)).toContain(
      `${prefix()}identity_api_version must be 3`,
    );
  });
  it('application credential without secret or id', () => {
    expect(messageFor(`clouds:\n  foo:\n    auth_type: v3applicationcredential\n    auth: {auth_url: http://k/v3, application_credential_id: a1}\n`)).toBe(
      `${prefix()}auth.application_credential_secret is missing`,
    );
    expect(messageFor(`clouds:\n  foo:\n    auth_type: v3applicationcredential\n    auth: {auth_url: http://k/v3, application_credential_secret: s-1234}\n`)).toContain(
      `${prefix()}auth.application_credential_id is missing`,
    );
    expect(
      messageFor(`clouds:\n  foo:\n    auth_type: v3applicationcredential\n    auth: {auth_url: http://k/v3, application_credential_name: n, application_credential_secret: s-1234}\n`),
    ).toContain(`${prefix()}auth.username is missing`);
  });
  it('bad endpoint override', () => {
    expect(messageFor(`clouds:\n  foo:\n    compute_endpoint_override: 17\n    auth: {auth_url: http://k/v3, username: u, password: pw-1}\n`)).toBe(
      `${prefix()}compute_endpoint_override must be a URL string (got 17)`,
    );
  });
  it('vendor profiles', () => {
    expect(messageFor(`clouds:\n  foo:\n    profile: vexxhost\n    auth: {auth_url: http://k/v3, username: u, password: pw-1}\n`)).toContain(`${prefix()}profile names a vendor profile`);
  });
  it('invalid YAML names the file and the line', () => {
    const msg = messageFor(`clouds:\n  foo:\n    auth: {auth_url: http://k/v3\n  bar: [\n`);
    expect(msg).toMatch(new RegExp(`^clouds.yaml ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is not valid YAML: .*line`));
  });
  it('clouds that is not a mapping', () => {
    expect(messageFor(`clouds: [a, b]\n`)).toBe(`clouds.yaml ${file}: "clouds" must be a mapping of cloud names to settings`);
  });
});

describe('normalisation', () => {
  function cfg(yaml: string) {
    writeFileSync(file, yaml);
    return loadCloudConfig({ cloud: 'foo', env: { HOME: dir }, cwd: dir, home: dir });
  }

  it('defaults: public interface, verify on, 60 s timeout, user domain "default"', () => {
    const c = cfg(`clouds:\n  foo:\n    auth: {auth_url: http://k:5000, username: u, password: pw-1, project_name: p}\n`);
    expect(c.interface).toBe('public');
    expect(c.tls.verify).toBe(true);
    expect(c.timeoutMs).toBe(60_000);
    expect(c.credentials).toMatchObject({ userDomainId: 'default' });
    expect(c.scope).toEqual({ kind: 'project', id: undefined, name: 'p', domainId: 'default', domainName: undefined });
  });

  it('domain scope, unscoped, regions list, verify:false, cacert, api_timeout', () => {
    const d = cfg(`clouds:\n  foo:\n    verify: false\n    regions: [R2, R3]\n    api_timeout: 5\n    auth: {auth_url: http://k/v3, username: u, password: pw-1, domain_name: Dom}\n`);
    expect(d.scope).toEqual({ kind: 'domain', id: undefined, name: 'Dom' });
    expect(d.credentials).toMatchObject({ userDomainName: 'Dom' });
    expect(d.region).toBe('R2');
    expect(d.tls.verify).toBe(false);
    expect(d.timeoutMs).toBe(5000);
    const u = cfg(`clouds:\n  foo:\n    cacert: /ca.pem\n    auth: {auth_url: http://k/v3, user_id: u1, password: pw-1}\n`);
    expect(u.scope).toEqual({ kind: 'unscoped' });
    expect(u.tls).toEqual({ verify: true, cacert: '/ca.pem', cert: undefined, key: undefined });
  });

  it('maps endpoint overrides onto catalog types', () => {
    const c = cfg(
      `clouds:\n  foo:\n    block_storage_endpoint_override: http://c:8776/v3/%(project_id)s\n    object_store_endpoint_override: http://s:8080/v1/AUTH_$(project_id)s\n    compute_endpoint_override: http://n:8774/v2.1/\n    image_endpoint: http://g:9292\n    dns_endpoint_override: http://ignored\n    auth: {auth_url: http://k/v3, username: u, password: pw-1}\n`,
    );
    expect(c.endpointOverrides).toEqual({
      volumev3: 'http://c:8776/v3/%(project_id)s',
      'object-store': 'http://s:8080/v1/AUTH_$(project_id)s',
      compute: 'http://n:8774/v2.1',
      image: 'http://g:9292',
    });
  });

  it('accepts the old endpoint_type for interface', () => {
    const c = cfg(`clouds:\n  foo:\n    endpoint_type: internalURL\n    auth: {auth_url: http://k/v3, username: u, password: pw-1}\n`);
    expect(c.interface).toBe('internal');
  });

  it('a numeric project name stays a name', () => {
    const c = cfg(`clouds:\n  foo:\n    auth: {auth_url: http://k/v3, username: u, password: 1234, project_name: 2024}\n`);
    expect(c.scope).toMatchObject({ name: '2024' });
    expect(c.credentials).toMatchObject({ password: '1234' });
  });
});
