// The resolved, validated configuration of one cloud: what the Keystone session and the HTTP
// layer need, with openstacksdk's many spellings already normalised.
import type { Interface, ServiceType } from '../openstack/types.js';

export type AuthType = 'password' | 'v3applicationcredential';

export interface PasswordCredentials {
  kind: 'password';
  userId?: string;
  username?: string;
  userDomainId?: string;
  userDomainName?: string;
  password: string;
}

export interface ApplicationCredentials {
  kind: 'application_credential';
  id?: string;
  name?: string;
  /** Needed with `name`: the owner of the application credential. */
  userId?: string;
  username?: string;
  userDomainId?: string;
  userDomainName?: string;
  secret: string;
}

export type Credentials = PasswordCredentials | ApplicationCredentials;

export type Scope =
  | { kind: 'project'; id?: string; name?: string; domainId?: string; domainName?: string }
  | { kind: 'domain'; id?: string; name?: string }
  | { kind: 'unscoped' };

export interface TlsConfig {
  /** false = do not verify server certificates (`verify: false`, `insecure: true`, OS_INSECURE). */
  verify: boolean;
  /** Path of a CA bundle (PEM). */
  cacert?: string;
  /** Client certificate and key (PEM paths). */
  cert?: string;
  key?: string;
}

export interface CloudConfig {
  /** Cloud name (`envvars` when built from OS_* variables only). */
  name: string;
  /** Where it came from, for error messages: `clouds.yaml /path` or `environment (OS_* variables)`. */
  source: string;
  authUrl: string;
  authType: AuthType;
  credentials: Credentials;
  scope: Scope;
  region?: string;
  interface: Interface;
  tls: TlsConfig;
  /** Endpoint overrides by service type (`compute_endpoint_override`, ...). */
  endpointOverrides: Partial<Record<ServiceType, string>>;
  /** Default per-request timeout in ms (`api_timeout` seconds in clouds.yaml). */
  timeoutMs: number;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
