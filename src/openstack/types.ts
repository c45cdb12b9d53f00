// Contracts of the OpenStack access layer. src/config (clouds.yaml), src/auth (Keystone
// sessions) and src/http (got-based client) implement them; services/* program against them only.
import type { Readable } from 'node:stream';

export type Interface = 'public' | 'internal' | 'admin';

/** The catalog service types permafrost uses; aliases are resolved by the session. */
export type ServiceType = 'identity' | 'compute' | 'volumev3' | 'image' | 'network' | 'object-store' | 'placement';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'COPY';

export interface RequestOptions {
  method?: HttpMethod;
  /** Path relative to the service endpoint (e.g. `/servers/detail`), or an absolute URL. */
  path: string;
  searchParams?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  json?: unknown;
  /** Raw body (Buffer or stream) for uploads; a stream body is never retried. */
  body?: Buffer | string | Readable;
  /** Status codes that are not errors for this call (default: 2xx). */
  okStatus?: number[];
  /** Override the default idempotency rule (GET/HEAD/PUT/DELETE retry, POST/PATCH do not). */
  retry?: boolean;
  /** Per-call timeout in ms (default from the cloud config, 60 s). */
  timeoutMs?: number;
}

export interface ApiResponse<T> {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  requestId?: string;
}

export interface PaginateOptions extends Omit<RequestOptions, 'method' | 'json' | 'body'> {
  /** Key of the item array in the response body (`servers`, `volumes`, `images`, ...). */
  itemsKey?: string;
  /** Page size to request (`limit`); undefined leaves the server default. */
  pageSize?: number;
  /** Pagination style; default chosen by the service type. */
  style?: 'links' | 'glance' | 'neutron' | 'swift' | 'keystone' | 'none';
}

/** A client bound to one service endpoint of one session. */
export interface ServiceClient {
  readonly serviceType: ServiceType;
  /** Resolved endpoint URL (project ID substituted, no trailing slash). */
  readonly endpoint: string;
  /** Negotiated microversion (compute, volume), e.g. "2.79"; undefined for unversioned services. */
  readonly microversion?: string;
  request<T = unknown>(opts: RequestOptions): Promise<ApiResponse<T>>;
  /** Streams a response body (downloads); rejects with a typed error on a non-2xx status. */
  download(opts: RequestOptions): Promise<{ stream: Readable; headers: ApiResponse<unknown>['headers'] }>;
  paginate<T = unknown>(opts: PaginateOptions): AsyncIterable<T>;
}

export interface ProjectScope {
  id: string;
  name: string;
  domainId: string;
}

/** An authenticated Keystone session; re-authenticates before expiry and once on a 401. */
export interface Session {
  readonly cloudName: string;
  readonly region?: string;
  readonly userId: string;
  readonly project?: ProjectScope;
  /** Role names the token carries (e.g. ['member'] or ['admin', 'member', 'reader']). */
  readonly roles: string[];
  isAdmin(): boolean;
  /** Current token (re-authenticating if needed). Never log it. */
  token(): Promise<string>;
  /** Whether the catalog has a service of this type (aliases resolved). */
  hasService(type: ServiceType): boolean;
  /** Client for a catalog service; for compute/volume `microversion` is the wanted maximum. */
  client(type: ServiceType, opts?: { microversion?: string; minMicroversion?: string }): Promise<ServiceClient>;
  /** A new session scoped to another project (admin tasks, --all-projects), same credentials. */
  scopedTo(project: { id?: string; name?: string; domainId?: string; domainName?: string }): Promise<Session>;
  close(): Promise<void>;
}
