// A Keystone v3 session: authenticates with a password or an application credential, keeps the
// token fresh (re-authenticates shortly before expiry, and exactly once when a service answers
// 401), resolves catalog endpoints (aliases, interface, region, overrides) and hands out
// ServiceClients with negotiated microversions.
import { inspect } from 'node:util';
import type { CloudConfig, Scope } from '../config/cloud-config.js';
import { ConfigError, ExitCode, PermafrostError } from '../errors.js';
import { createAgents, type Agents } from '../http/agents.js';
import { UnauthorizedError } from '../http/errors.js';
import { chooseMicroversion, microversionHeaders, rangeFromVersionDocument, versionRootOf, type VersionRange } from '../http/microversion.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../http/retry-policy.js';
import { HttpServiceClient, type TokenSource } from '../http/service-client.js';
import { Transport } from '../http/transport.js';
import { getLogger, type Logger } from '../log/logger.js';
import { registerSecret, scrubValue } from '../log/secrets.js';
import type { ProjectScope, ServiceClient, ServiceType, Session } from '../openstack/types.js';
import { buildAuthRequest, describeCredentials } from './auth-request.js';
import { ServiceCatalog } from './service-catalog.js';
import { needsRefresh, parseTokenResponse, type TokenInfo } from './token-info.js';

export interface SessionOptions {
  logger?: Logger;
  retryPolicy?: RetryPolicy;
}

interface SessionDeps {
  logger: Logger;
  retryPolicy: RetryPolicy;
  agents: Agents;
  /** Keystone is reached without keep-alive (it closes every connection anyway). */
  identityAgents: Agents;
  transport: Transport;
  identityTransport: Transport;
}

function scopeLabel(scope: Scope): string {
  switch (scope.kind) {
    case 'project':
      return `project ${scope.id ?? `${scope.name} (domain ${scope.domainId ?? scope.domainName})`}`;
    case 'domain':
      return `domain ${scope.id ?? scope.name}`;
    case 'unscoped':
      return 'no scope';
  }
}

export class KeystoneSession implements Session, TokenSource {
  private info!: TokenInfo;
  private catalog!: ServiceCatalog;
  private refreshing?: Promise<TokenInfo>;
  private readonly versionRanges = new Map<string, Promise<VersionRange | undefined>>();
  /** How many times this session authenticated (1 after open); tests watch re-authentication. */
  authCount = 0;

  private constructor(
    readonly config: CloudConfig,
    private readonly deps: SessionDeps,
  ) {}

  /** Authenticates and returns a ready session. */
  static async open(config: CloudConfig, opts: SessionOptions = {}): Promise<KeystoneSession> {
    const logger = opts.logger ?? getLogger();
    const retryPolicy = opts.retryPolicy ?? DEFAULT_RETRY_POLICY;
    registerSecret(config.credentials.kind === 'password' ? config.credentials.password : config.credentials.secret);
    const agents = createAgents(config.tls, true);
    const identityAgents = createAgents(config.tls, false);
    const deps: SessionDeps = {
      logger,
      retryPolicy,
      agents,
      identityAgents,
      transport: new Transport({ agents, logger, retryPolicy }),
      identityTransport: new Transport({ agents: identityAgents, logger, retryPolicy }),
    };
    const session = new KeystoneSession(config, deps);
    try {
      await session.authenticate();
    } catch (err) {
      agents.destroy();
      identityAgents.destroy();
      throw err;
    }
    return session;
  }

  get cloudName(): string {
    return this.config.name;
  }
  get region(): string | undefined {
    return this.config.region;
  }
  get userId(): string {
    return this.info.userId;
  }
  get project(): ProjectScope | undefined {
    return this.info.project;
  }
  get domain(): { id: string; name: string } | undefined {
    return this.info.domain;
  }
  get roles(): string[] {
    return [...this.info.roles];
  }
  /** Expiry of the current token (ms since epoch). */
  get expiresAt(): number {
    return this.info.expiresAt;
  }

  isAdmin(): boolean {
    return this.info.roles.includes('admin');
  }

  private async authenticate(): Promise<TokenInfo> {
    const { config, deps } = this;
    const url = `${config.authUrl}/auth/tokens`;
    const who = `${describeCredentials(config.credentials)}, ${scopeLabel(config.scope)}`;
    let res;
    try {
      res = await deps.identityTransport.send({
        service: 'identity',
        method: 'POST',
        url,
        headers: { Accept: 'application/json' },
        json: buildAuthRequest(config.credentials, config.scope),
        okStatus: [201],
        // Asking for a token twice is harmless, so a failed attempt may be repeated.
        retry: true,
        timeoutMs: config.timeoutMs,
      });
    } catch (err) {
      if (err instanceof UnauthorizedError) {
        throw new UnauthorizedError(
          { service: 'identity', method: 'POST', url, statusCode: 401, requestId: err.requestId, serviceMessage: err.serviceMessage },
          `authentication failed for cloud "${config.name}" (${who}, from ${config.source}): check the password or application credential, the user and project names and their domains`,
        );
      }
      throw err;
    }
    const subject = res.headers['x-subject-token'];
    const token = Array.isArray(subject) ? subject[0] : subject;
    registerSecret(token);
    const body: unknown = JSON.parse(res.rawBody.toString('utf8'));
    const info = parseTokenResponse(token, body, `cloud "${config.name}" (${url})`);
    this.info = info;
    this.catalog = new ServiceCatalog(info.catalog);
    this.authCount++;
    deps.logger.debug(
      { cloud: config.name, userId: info.userId, project: info.project?.id, domain: info.domain?.id, roles: info.roles, expiresAt: new Date(info.expiresAt).toISOString(), requestId: res.requestId },
      'authenticated',
    );
    return info;
  }

  /** One re-authentication at a time; concurrent callers share it. */
  private refresh(): Promise<TokenInfo> {
    this.refreshing ??= this.authenticate().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  async token(): Promise<string> {
    if (this.refreshing) return (await this.refreshing).value;
    if (needsRefresh(this.info)) {
      this.deps.logger.debug({ cloud: this.config.name }, 'token about to expire: re-authenticating');
      return (await this.refresh()).value;
    }
    return this.info.value;
  }

  async reauthenticate(staleToken: string): Promise<string> {
    if (this.refreshing) return (await this.refreshing).value;
    // Another call already replaced the token that got the 401.
    if (this.info.value !== staleToken) return this.info.value;
    return (await this.refresh()).value;
  }

  hasService(type: ServiceType): boolean {
    return this.config.endpointOverrides[type] !== undefined || this.catalog.has(type) || type === 'identity';
  }

  /** Endpoint URL of a service: override from config, else the catalog. */
  endpointFor(type: ServiceType): string {
    const projectId = this.info.project?.id ?? '';
    const override = this.config.endpointOverrides[type];
    if (override) return override.replace(/[%$]\(project_id\)s/g, projectId).replace(/[%$]\(tenant_id\)s/g, projectId);
    const found = this.catalog.find(type, this.config.interface, this.config.region);
    if (found) return found;
    // Unscoped tokens carry no catalog; Keystone itself is reachable at auth_url.
    if (type === 'identity') return this.config.authUrl;
    const scopeNote = this.info.project ? '' : ' (the token is not project-scoped, so it has no catalog)';
    throw new ConfigError(
      `cloud "${this.config.name}": the service catalog has no ${type} endpoint for interface ${this.config.interface}` +
        (this.config.region ? ` in region ${this.config.region}` : '') +
        `${scopeNote}; it offers ${this.catalog.describe()}. Set region_name/interface, or ${type.replace('-', '_')}_endpoint_override in clouds.yaml`,
    );
  }

  private versionRange(client: HttpServiceClient): Promise<VersionRange | undefined> {
    const root = versionRootOf(client.endpoint);
    let cached = this.versionRanges.get(root);
    if (!cached) {
      cached = client
        .request<unknown>({ path: root, okStatus: [200, 300] })
        .then((res) => rangeFromVersionDocument(res.body, client.endpoint));
      // A failure is not cached: the next client() call asks again.
      cached.catch(() => this.versionRanges.delete(root));
      this.versionRanges.set(root, cached);
    }
    return cached;
  }

  async client(type: ServiceType, opts: { microversion?: string; minMicroversion?: string } = {}): Promise<ServiceClient> {
    const endpoint = this.endpointFor(type);
    const base = {
      serviceType: type,
      endpoint,
      transport: type === 'identity' ? this.deps.identityTransport : this.deps.transport,
      tokens: this as TokenSource,
      logger: this.deps.logger,
      defaultTimeoutMs: this.config.timeoutMs,
    };
    const mvService = type === 'compute' ? 'compute' : type === 'volumev3' ? 'volume' : undefined;
    if (!mvService) return new HttpServiceClient(base);
    const probe = new HttpServiceClient(base);
    const range = await this.versionRange(probe);
    const microversion = chooseMicroversion({ service: mvService, endpoint, range, wanted: opts.microversion, required: opts.minMicroversion });
    return new HttpServiceClient({ ...base, microversion, extraHeaders: microversionHeaders(mvService, microversion) });
  }

  async scopedTo(project: { id?: string; name?: string; domainId?: string; domainName?: string }): Promise<KeystoneSession> {
    if (this.config.credentials.kind === 'application_credential') {
      throw new PermafrostError(
        `cloud "${this.config.name}" authenticates with an application credential, which is bound to one project; it cannot be re-scoped to another project (use password credentials for --all-projects)`,
        ExitCode.config,
      );
    }
    if (!project.id && !project.name) throw new PermafrostError('scopedTo: a project id or name is needed');
    const scope: Scope = project.id
      ? { kind: 'project', id: project.id }
      : { kind: 'project', name: project.name, domainId: project.domainId ?? (project.domainName ? undefined : 'default'), domainName: project.domainName };
    return KeystoneSession.open({ ...this.config, scope }, { logger: this.deps.logger, retryPolicy: this.deps.retryPolicy });
  }

  /** What printing a session shows: never the credentials or the token. */
  toJSON(): Record<string, unknown> {
    // Scrubbed like a log record: a cloud named like its password must not print the password.
    return scrubValue({
      cloud: this.config.name,
      region: this.config.region,
      userId: this.info.userId,
      project: this.info.project,
      domain: this.info.domain,
      roles: this.info.roles,
      expiresAt: new Date(this.info.expiresAt).toISOString(),
    }) as Record<string, unknown>;
  }

  [inspect.custom](): string {
    return `KeystoneSession ${inspect(this.toJSON())}`;
  }

  async close(): Promise<void> {
    this.deps.agents.destroy();
    this.deps.identityAgents.destroy();
  }
}
