import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCloudConfig } from '../../src/config/load-cloud-config.js';
import { ConfigError, ExitCode } from '../../src/errors.js';

let root: string;
let cwd: string;
let home: string;

function write(file: string, text: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

const cloudYaml = (name: string, project = 'p1') => `clouds:
  ${name}:
    auth:
      auth_url: http://127.0.0.1:5000/v3
      username: alice
      password: s3cret-pw
      project_name: ${project}
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
`;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'pf-config-'));
  cwd = path.join(root, 'work');
  home = path.join(root, 'home');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(home, { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function load(opts: { cloud?: string; env?: NodeJS.ProcessEnv } = {}) {
  return loadCloudConfig({ cloud: opts.cloud, env: { HOME: home, ...opts.env }, cwd, home });
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('clouds.yaml search order', () => {
  it('reads ./clouds.yaml before ~/.config/openstack/clouds.yaml', () => {
    write(path.join(cwd, 'clouds.yaml'), cloudYaml('c', 'from-cwd'));
    write(path.join(home, '.config/openstack/clouds.yaml'), cloudYaml('c', 'from-home'));
    const cfg = load({ cloud: 'c' });
    expect(cfg.scope).toMatchObject({ kind: 'project', name: 'from-cwd' });
    expect(cfg.source).toBe(`clouds.yaml ${path.join(cwd, 'clouds.yaml')}`);
  });

  it('reads ~/.config/openstack/clouds.yaml before /etc/openstack and uses only the first file found', () => {
    write(path.join(home, '.config/openstack/clouds.yaml'), cloudYaml('only-home'));
    expect(load({ cloud: 'only-home' }).name).toBe('only-home');
    // A cloud defined only in a later file is not looked up there: the first file wins.
    const err = errorOf(() => load({ cloud: 'devcloud-admin' }));
    expect(err.message).toContain(path.join(home, '.config/openstack/clouds.yaml'));
    expect(err.message).toContain('known clouds: only-home');
  });

  it('honours XDG_CONFIG_HOME for the user directory', () => {
    const xdg = path.join(root, 'xdg');
    write(path.join(xdg, 'openstack/clouds.yml'), cloudYaml('x'));
    expect(load({ cloud: 'x', env: { XDG_CONFIG_HOME: xdg } }).name).toBe('x');
  });

  it('puts OS_CLIENT_CONFIG_FILE before every directory', () => {
    write(path.join(cwd, 'clouds.yaml'), cloudYaml('c', 'from-cwd'));
    const explicit = write(path.join(root, 'elsewhere/my-clouds.yaml'), cloudYaml('c', 'from-env-file'));
    const cfg = load({ cloud: 'c', env: { OS_CLIENT_CONFIG_FILE: explicit } });
    expect(cfg.scope).toMatchObject({ name: 'from-env-file' });
  });

  it('refuses an OS_CLIENT_CONFIG_FILE / OS_CLIENT_SECURE_FILE that does not exist', () => {
    write(path.join(cwd, 'clouds.yaml'), cloudYaml('c'));
    const missing = path.join(root, 'nope.yaml');
    expect(errorOf(() => load({ cloud: 'c', env: { OS_CLIENT_CONFIG_FILE: missing } })).message).toBe(
      `OS_CLIENT_CONFIG_FILE names ${missing}, which does not exist; fix or unset the variable`,
    );
    expect(errorOf(() => load({ cloud: 'c', env: { OS_CLIENT_SECURE_FILE: missing } })).message).toContain('OS_CLIENT_SECURE_FILE names');
  });

  it('reads clouds.json as well', () => {
    write(
      path.join(cwd, 'clouds.json'),
      JSON.stringify({ clouds: { j: { auth: { auth_url: 'http://h:5000', username: 'u', password: 'pw-json', project_id: 'abc' } } } }),
    );
    const cfg = load({ cloud: 'j' });
    expect(cfg.authUrl).toBe('http://h:5000/v3');
    expect(cfg.scope).toEqual({ kind: 'project', id: 'abc', name: undefined, domainId: undefined, domainName: undefined });
  });
});

describe('secure.yaml', () => {
  it('is merged key by key into the cloud entry', () => {
    write(
      path.join(cwd, 'clouds.yaml'),
      `clouds:\n  s:\n    auth:\n      auth_url: http://127.0.0.1:5000/v3\n      username: bob\n      project_name: p\n    region_name: R1\n`,
    );
    write(path.join(home, '.config/openstack/secure.yaml'), `clouds:\n  s:\n    auth:\n      password: from-secure\n`);
    const cfg = load({ cloud: 's' });
    expect(cfg.credentials).toMatchObject({ kind: 'password', username: 'bob', password: 'from-secure' });
    expect(cfg.region).toBe('R1');
    expect(cfg.source).toContain('secure.yaml');
  });

  it('is found through OS_CLIENT_SECURE_FILE', () => {
    write(path.join(cwd, 'clouds.yaml'), `clouds:\n  s:\n    auth:\n      auth_url: http://h/v3\n      username: bob\n`);
    const sec = write(path.join(root, 'sec.yaml'), `clouds:\n  s:\n    auth:\n      password: pw-from-env-secure\n`);
    expect(load({ cloud: 's', env: { OS_CLIENT_SECURE_FILE: sec } }).credentials).toMatchObject({ password: 'pw-from-env-secure' });
  });
});

describe('cloud selection', () => {
  beforeEach(() => {
    write(path.join(cwd, 'clouds.yaml'), cloudYaml('one', 'p-one') + cloudYaml('two', 'p-two').replace('clouds:\n', ''));
  });

  it('uses OS_CLOUD when no name is given, and an explicit name before OS_CLOUD', () => {
    expect(load({ env: { OS_CLOUD: 'two' } }).scope).toMatchObject({ name: 'p-two' });
    expect(load({ cloud: 'one', env: { OS_CLOUD: 'two' } }).scope).toMatchObject({ name: 'p-one' });
  });

  it('lists the known clouds for an unknown name', () => {
    const err = errorOf(() => load({ cloud: 'foo' }));
    expect(err.message).toBe(`cloud "foo" is not defined in clouds.yaml ${path.join(cwd, 'clouds.yaml')}; known clouds: one, two`);
    expect(err.exitCode).toBe(ExitCode.config);
  });

  it('says what to do when nothing selects a cloud', () => {
    const err = errorOf(() => load());
    expect(err.message).toContain('no cloud selected: pass --os-cloud NAME or set OS_CLOUD');
    expect(err.message).toContain('one, two');
  });

  it('applies OS_REGION_NAME and command-line overrides to a named cloud', () => {
    const cfg = loadCloudConfig({
      cloud: 'one',
      env: { HOME: home, OS_REGION_NAME: 'R9' },
      cwd,
      home,
      overrides: { interface: 'internal', insecure: true },
    });
    expect(cfg.region).toBe('R9');
    expect(cfg.interface).toBe('internal');
    expect(cfg.tls.verify).toBe(false);
    const cfg2 = loadCloudConfig({ cloud: 'one', env: { HOME: home, OS_REGION_NAME: 'R9' }, cwd, home, overrides: { region: 'R2' } });
    expect(cfg2.region).toBe('R2');
  });
});

describe('OS_* environment variables', () => {
  const base = {
    OS_AUTH_URL: 'http://127.0.0.1:5000',
    OS_USERNAME: 'demo',
    OS_PASSWORD: 'env-pw',
    OS_PROJECT_NAME: 'demo',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
  };

  it('make a cloud named envvars when no cloud is named', () => {
    const cfg = load({ env: { ...base, OS_REGION_NAME: 'RegionOne', OS_INTERFACE: 'internal', OS_CACERT: '/ca.pem', OS_CERT: '/c.pem', OS_KEY: '/k.pem' } });
    expect(cfg.name).toBe('envvars');
    expect(cfg.source).toBe('environment (OS_* variables)');
    expect(cfg.authUrl).toBe('http://127.0.0.1:5000/v3');
    expect(cfg.credentials).toEqual({ kind: 'password', userId: undefined, username: 'demo', userDomainId: undefined, userDomainName: 'Default', password: 'env-pw' });
    expect(cfg.scope).toEqual({ kind: 'project', id: undefined, name: 'demo', domainId: undefined, domainName: 'Default' });
    expect(cfg.region).toBe('RegionOne');
    expect(cfg.interface).toBe('internal');
    expect(cfg.tls).toEqual({ verify: true, cacert: '/ca.pem', cert: '/c.pem', key: '/k.pem' });
  });

  it('understand ids, OS_INSECURE and OS_ENDPOINT_TYPE', () => {
    const cfg = load({
      env: { OS_AUTH_URL: 'https://k/v3', OS_USER_ID: 'u1', OS_PASSWORD: 'x-pw', OS_PROJECT_ID: 'p1', OS_INSECURE: 'true', OS_ENDPOINT_TYPE: 'adminURL' },
    });
    expect(cfg.credentials).toMatchObject({ userId: 'u1' });
    expect(cfg.scope).toMatchObject({ kind: 'project', id: 'p1' });
    expect(cfg.tls.verify).toBe(false);
    expect(cfg.interface).toBe('admin');
  });

  it('describe an application credential', () => {
    const cfg = load({
      env: { OS_AUTH_URL: 'http://k:5000/v3/', OS_AUTH_TYPE: 'v3applicationcredential', OS_APPLICATION_CREDENTIAL_ID: 'ac1', OS_APPLICATION_CREDENTIAL_SECRET: 'ac-secret' },
    });
    expect(cfg.authType).toBe('v3applicationcredential');
    expect(cfg.credentials).toMatchObject({ kind: 'application_credential', id: 'ac1', secret: 'ac-secret' });
    expect(cfg.scope).toEqual({ kind: 'unscoped' });
  });

  it('name the variable in errors', () => {
    const err = errorOf(() => load({ env: { OS_USERNAME: 'demo', OS_PASSWORD: 'pw-x' } }));
    expect(err.message).toBe('environment (OS_* variables): OS_AUTH_URL is missing');
    const err2 = errorOf(() => load({ env: { OS_AUTH_URL: 'http://k/v3', OS_USERNAME: 'demo' } }));
    expect(err2.message).toBe('environment (OS_* variables): OS_PASSWORD is missing');
  });

  it('OS_CLOUD and OS_REGION_NAME alone do not make a cloud', () => {
    const err = errorOf(() => load({ env: { OS_REGION_NAME: 'R' } }));
    expect(err.message).toContain('no cloud selected');
  });
});
