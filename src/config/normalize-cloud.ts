// Validates one raw cloud entry and turns it into a CloudConfig. Every problem becomes ONE
// ConfigError naming the source (file or environment), the cloud and the key.
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { Interface, ServiceType } from '../openstack/types.js';
import { DEFAULT_TIMEOUT_MS, type CloudConfig, type Credentials, type Scope, type TlsConfig } from './cloud-config.js';
import { rawCloudSchema, SECRET_CONFIG_KEYS, type RawCloud } from './cloud-schema.js';
import { findEndpointOverrides } from './endpoint-overrides.js';
import { envVarForKey } from './env-vars.js';

export interface CloudSource {
  cloudName: string;
  /** `clouds.yaml /etc/openstack/clouds.yaml` or `environment (OS_* variables)`. */
  where: string;
  fromEnv: boolean;
}

function keyLabel(src: CloudSource, key: string): string {
  return src.fromEnv ? envVarForKey(key) : key;
}

export function configError(src: CloudSource, key: string, problem: string): ConfigError {
  const cloudPart = src.fromEnv ? '' : `, cloud "${src.cloudName}"`;
  return new ConfigError(`${src.where}${cloudPart}: ${keyLabel(src, key)} ${problem}`);
}

function describeIssue(issue: z.core.$ZodIssue, key: string): string {
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'invalid_type' && input === undefined) return 'is missing';
  const shown = SECRET_CONFIG_KEYS.has(key) ? '' : ` (got ${JSON.stringify(input)})`;
  switch (issue.code) {
    case 'invalid_type':
      return `must be a ${issue.expected === 'object' ? 'mapping' : issue.expected}${shown}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => String(v)).join(', ')}${shown}`;
    case 'invalid_union':
      return `has the wrong type${shown}`;
    case 'too_small':
      return `must be positive${shown}`;
    default:
      return `is invalid: ${issue.message}`;
  }
}

function normalizeAuthUrl(src: CloudSource, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw configError(src, 'auth.auth_url', `is not a URL (got ${JSON.stringify(url)})`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw configError(src, 'auth.auth_url', `must be an http:// or https:// URL (got ${JSON.stringify(url)})`);
  }
  const trimmed = url.replace(/\/+$/, '');
  if (/\/v2\.0$/.test(trimmed)) throw configError(src, 'auth.auth_url', 'points at Keystone v2.0; permafrost needs Keystone v3 (use the /v3 URL)');
  // Unversioned auth URLs (http://keystone:5000) are common in clouds.yaml: v3 lives below them.
  return /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
}

function normalizeInterface(value: string | undefined): Interface {
  if (!value) return 'public';
  return value.replace(/URL$/, '') as Interface;
}

function credentialsOf(src: CloudSource, raw: RawCloud): Credentials {
  const a = raw.auth ?? {};
  const defaultDomainId = a.default_domain_id;
  const defaultDomainName = a.default_domain_name;
  const userDomain = () => {
    const id = a.user_domain_id ?? (a.user_domain_name ? undefined : (a.domain_id ?? defaultDomainId));
    const name = a.user_domain_name ?? (id ? undefined : (a.domain_name ?? defaultDomainName));
    // Like openstackclient's default `--os-default-domain default`.
    return id || name ? { userDomainId: id, userDomainName: name } : { userDomainId: 'default', userDomainName: undefined };
  };
  const authType = raw.auth_type ?? (a.application_credential_secret !== undefined || a.application_credential_id !== undefined ? 'v3applicationcredential' : 'password');
  if (authType === 'v3applicationcredential') {
    if (!a.application_credential_secret) throw configError(src, 'auth.application_credential_secret', 'is missing');
    if (!a.application_credential_id && !a.application_credential_name) {
      throw configError(src, 'auth.application_credential_id', 'is missing (or give auth.application_credential_name with auth.username/auth.user_id)');
    }
    if (!a.application_credential_id && !a.user_id && !a.username) {
      throw configError(src, 'auth.username', 'is missing: an application credential given by name needs its owner (auth.username or auth.user_id)');
    }
    return {
      kind: 'application_credential',
      id: a.application_credential_id,
      name: a.application_credential_id ? undefined : a.application_credential_name,
      userId: a.user_id,
      username: a.user_id ? undefined : a.username,
      ...(a.application_credential_id || a.user_id ? {} : userDomain()),
      secret: a.application_credential_secret,
    };
  }
  if (!a.user_id && !a.username) throw configError(src, 'auth.username', 'is missing (or give auth.user_id)');
  if (a.password === undefined || a.password === '') throw configError(src, 'auth.password', 'is missing');
  return {
    kind: 'password',
    userId: a.user_id,
    username: a.user_id ? undefined : a.username,
    ...(a.user_id ? {} : userDomain()),
    password: a.password,
  };
}

function scopeOf(raw: RawCloud, credentials: Credentials): Scope {
  // An application credential is always bound to its project: sending a scope is an error.
  if (credentials.kind === 'application_credential') return { kind: 'unscoped' };
  const a = raw.auth ?? {};
  const projectId = a.project_id ?? a.tenant_id;
  const projectName = projectId ? undefined : (a.project_name ?? a.tenant_name);
  if (projectId || projectName) {
    let domainId = projectName ? (a.project_domain_id ?? (a.project_domain_name ? undefined : (a.domain_id ?? a.default_domain_id))) : undefined;
    const domainName = projectName && !domainId ? (a.project_domain_name ?? a.domain_name ?? a.default_domain_name) : undefined;
    if (projectName && !domainId && !domainName) domainId = 'default';
    return { kind: 'project', id: projectId, name: projectName, domainId, domainName };
  }
  if (a.domain_id || a.domain_name) return { kind: 'domain', id: a.domain_id, name: a.domain_id ? undefined : a.domain_name };
  return { kind: 'unscoped' };
}

function tlsOf(raw: RawCloud): TlsConfig {
  let verify = true;
  let cacert = raw.cacert;
  if (raw.verify === false || raw.insecure === true) verify = false;
  // keystoneauth accepts a CA bundle path as `verify`.
  if (typeof raw.verify === 'string') {
    const v = raw.verify.toLowerCase();
    if (v === 'false' || v === '0' || v === 'no') verify = false;
    else if (v !== 'true' && v !== '1' && v !== 'yes') cacert ??= raw.verify;
  }
  return { verify, cacert, cert: raw.cert, key: raw.key };
}

function regionOf(raw: RawCloud): string | undefined {
  if (raw.region_name) return raw.region_name;
  const first = raw.regions?.[0];
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.name;
}

function endpointOverridesOf(src: CloudSource, raw: Record<string, unknown>): Partial<Record<ServiceType, string>> {
  const out: Partial<Record<ServiceType, string>> = {};
  for (const [key, type, value] of findEndpointOverrides(raw)) {
    if (typeof value !== 'string') throw configError(src, key, `must be a URL string (got ${JSON.stringify(value)})`);
    try {
      new URL(value.replace(/[%$]\(project_id\)s/g, 'x'));
    } catch {
      throw configError(src, key, `is not a URL (got ${JSON.stringify(value)})`);
    }
    out[type] = value.replace(/\/+$/, '');
  }
  return out;
}

/** Validates and normalises a merged raw cloud entry. */
export function normalizeCloud(src: CloudSource, input: unknown): CloudConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw configError(src, 'auth', `is missing: the cloud entry must be a mapping with an "auth" section`);
  }
  const parsed = rawCloudSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.map(String).join('.') || '(cloud entry)';
    throw configError(src, key, describeIssue(issue, key));
  }
  const raw = parsed.data;
  if (raw.profile) throw configError(src, 'profile', 'names a vendor profile; permafrost does not read vendor profiles: copy the settings into the cloud entry');
  if (raw.identity_api_version && !/^3(\.\d+)?$/.test(raw.identity_api_version)) {
    throw configError(src, 'identity_api_version', `must be 3 (permafrost speaks Keystone v3 only; got ${JSON.stringify(raw.identity_api_version)})`);
  }
  if (!raw.auth) throw configError(src, 'auth', 'is missing');
  if (!raw.auth.auth_url) throw configError(src, 'auth.auth_url', 'is missing');
  const authUrl = normalizeAuthUrl(src, raw.auth.auth_url);
  const credentials = credentialsOf(src, raw);
  return {
    name: src.cloudName,
    source: src.where,
    authUrl,
    authType: credentials.kind === 'password' ? 'password' : 'v3applicationcredential',
    credentials,
    scope: scopeOf(raw, credentials),
    region: regionOf(raw),
    interface: normalizeInterface(raw.interface ?? raw.endpoint_type),
    tls: tlsOf(raw),
    endpointOverrides: endpointOverridesOf(src, input as Record<string, unknown>),
    timeoutMs: raw.api_timeout ? Math.round(raw.api_timeout * 1000) : DEFAULT_TIMEOUT_MS,
  };
}
