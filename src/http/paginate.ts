// ONE pagination helper for every OpenStack listing style:
//   links   Nova/Cinder: `{"servers": [...], "servers_links": [{"rel": "next", "href": ...}]}`
//   neutron Neutron: same shape (`networks_links`); with pagination disabled the server ignores
//           `limit` and returns everything without a next link, which simply ends the loop
//   glance  `{"images": [...], "next": "/v2/images?marker=..."}` (href relative to the API root)
//   swift   JSON listings paged with `marker` = last name (or `subdir`), until a short/empty page
//   keystone one response; `"truncated": true` means the server's list_limit cut it: flagged + warned
//   none    one response
// Loops are bounded (page count, repeated next links) so that a misbehaving server cannot spin us.
import type { ApiResponse, PaginateOptions, RequestOptions, ServiceType } from '../openstack/types.js';
import { PermafrostError } from '../errors.js';
import type { Logger } from '../log/logger.js';

export type PaginationStyle = NonNullable<PaginateOptions['style']>;

const DEFAULT_STYLE: Record<ServiceType, PaginationStyle> = {
  compute: 'links',
  volumev3: 'links',
  network: 'neutron',
  image: 'glance',
  'object-store': 'swift',
  identity: 'keystone',
  placement: 'none',
};

export function defaultPaginationStyle(type: ServiceType): PaginationStyle {
  return DEFAULT_STYLE[type] ?? 'none';
}

/** Upper bound of pages per listing (1M items at page size 100 would be 10k pages). */
export const MAX_PAGES = 100_000;

export interface PageSource {
  readonly serviceType: ServiceType;
  readonly endpoint: string;
  request<T>(opts: RequestOptions): Promise<ApiResponse<T>>;
}

function itemsOf(body: unknown, key: string | undefined, where: string): { items: unknown[]; key?: string } {
  if (Array.isArray(body)) return { items: body };
  if (body === null || typeof body !== 'object') {
    throw new PermafrostError(`${where}: expected a JSON listing, got ${body === undefined ? 'an empty body' : typeof body}`);
  }
  const obj = body as Record<string, unknown>;
  if (key !== undefined) {
    const v = obj[key];
    if (v === undefined) return { items: [], key };
    if (!Array.isArray(v)) throw new PermafrostError(`${where}: "${key}" in the response is not a list`);
    return { items: v, key };
  }
  const arrays = Object.keys(obj).filter((k) => Array.isArray(obj[k]) && !k.endsWith('_links'));
  if (arrays.length !== 1) {
    throw new PermafrostError(`${where}: cannot tell which key holds the items (${arrays.join(', ') || 'none'}); pass itemsKey`);
  }
  return { items: obj[arrays[0]!] as unknown[], key: arrays[0] };
}

function nextLink(body: unknown, key: string | undefined): string | undefined {
  if (body === null || typeof body !== 'object' || key === undefined) return undefined;
  const links = (body as Record<string, unknown>)[`${key}_links`];
  if (!Array.isArray(links)) return undefined;
  const next = links.find((l) => l !== null && typeof l === 'object' && (l as Record<string, unknown>).rel === 'next') as { href?: unknown } | undefined;
  return typeof next?.href === 'string' ? next.href : undefined;
}

/** Next links may name another host (a proxy's internal name): keep the endpoint's origin. */
function rebaseOnEndpoint(href: string, endpoint: string): string {
  const target = new URL(href, endpoint);
  const base = new URL(endpoint);
  target.protocol = base.protocol;
  target.host = base.host;
  return target.toString();
}

/** Glance's `next` is relative to the API root (`/v2/images?...`), below any path prefix of the endpoint. */
function glanceNextUrl(next: string, endpoint: string): string {
  if (/^https?:\/\//.test(next)) return rebaseOnEndpoint(next, endpoint);
  const root = endpoint.replace(/\/v2(\.\d+)?\/?$/, '').replace(/\/+$/, '');
  return root + (next.startsWith('/') ? next : `/${next}`);
}

/** Iterates all items of a listing; `truncated`/`pages` tell what happened once it is done. */
export class Paginator<T> implements AsyncIterable<T> {
  /** Keystone cut the list at its list_limit (items are missing). */
  truncated = false;
  pages = 0;

  constructor(
    private readonly source: PageSource,
    private readonly opts: PaginateOptions,
    private readonly logger: Logger,
  ) {}

  private get style(): PaginationStyle {
    return this.opts.style ?? defaultPaginationStyle(this.source.serviceType);
  }

  private baseRequest(searchParams: PaginateOptions['searchParams']): RequestOptions {
    const { itemsKey: _k, pageSize: _p, style: _s, ...rest } = this.opts;
    return { ...rest, method: 'GET', searchParams };
  }

  private where(): string {
    return `${this.source.serviceType} GET ${this.opts.path}`;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    switch (this.style) {
      case 'links':
      case 'neutron':
        yield* this.linked((body, key) => {
          const href = nextLink(body, key);
          return href ? rebaseOnEndpoint(href, this.source.endpoint) : undefined;
        });
        return;
      case 'glance':
        yield* this.linked((body) => {
          const next = (body as Record<string, unknown> | undefined)?.next;
          return typeof next === 'string' && next ? glanceNextUrl(next, this.source.endpoint) : undefined;
        });
        return;
      case 'swift':
        yield* this.swift();
        return;
      case 'keystone':
      case 'none':
        yield* this.single();
        return;
    }
  }

  private async *linked(next: (body: unknown, key: string | undefined) => string | undefined): AsyncGenerator<T> {
    const seen = new Set<string>();
    let req = this.baseRequest({ ...this.opts.searchParams, limit: this.opts.pageSize });
    while (this.pages < MAX_PAGES) {
      const res = await this.source.request<unknown>(req);
      this.pages++;
      const { items, key } = itemsOf(res.body, this.opts.itemsKey, this.where());
      for (const item of items) yield item as T;
      const href = next(res.body, key);
      if (!href || items.length === 0) return;
      if (seen.has(href)) {
        this.logger.warn({ service: this.source.serviceType, path: this.opts.path, href }, 'pagination: the server repeated a next link; stopping');
        return;
      }
      seen.add(href);
      // The next link already carries every query parameter (limit, marker, filters).
      req = { ...this.baseRequest(undefined), path: href };
    }
    throw new PermafrostError(`${this.where()}: more than ${MAX_PAGES} pages; refusing to continue`);
  }

  private async *swift(): AsyncGenerator<T> {
    let marker: string | undefined;
    const pageSize = this.opts.pageSize;
    while (this.pages < MAX_PAGES) {
      const res = await this.source.request<unknown>(
        this.baseRequest({ ...this.opts.searchParams, format: 'json', limit: pageSize, marker }),
      );
      this.pages++;
      // 204 No Content = empty account/container listing.
      const items = res.statusCode === 204 || res.body === undefined || res.body === '' ? [] : itemsOf(res.body, this.opts.itemsKey, this.where()).items;
      for (const item of items) yield item as T;
      if (items.length === 0 || (pageSize !== undefined && items.length < pageSize)) return;
      const last = items[items.length - 1] as { name?: string; subdir?: string };
      const nextMarker = last.name ?? last.subdir;
      if (nextMarker === undefined || nextMarker === marker) return;
      marker = nextMarker;
    }
    throw new PermafrostError(`${this.where()}: more than ${MAX_PAGES} pages; refusing to continue`);
  }

  private async *single(): AsyncGenerator<T> {
    const res = await this.source.request<unknown>(this.baseRequest(this.opts.searchParams));
    this.pages++;
    const { items } = itemsOf(res.body, this.opts.itemsKey, this.where());
    if (this.style === 'keystone' && (res.body as Record<string, unknown>)?.truncated === true) {
      this.truncated = true;
      this.logger.warn(
        { service: this.source.serviceType, path: this.opts.path, returned: items.length },
        'Keystone truncated the list at its list_limit: some items are missing (narrow the query with filters)',
      );
    }
    for (const item of items) yield item as T;
  }
}
