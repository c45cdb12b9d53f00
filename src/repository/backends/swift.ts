// `swift://CONTAINER/PREFIX?cloud=NAME` — a repository in an OpenStack Swift container.
//
// The cloud comes from the URL (`?cloud=`), else the caller's settings (`--os-cloud`), else
// OS_CLOUD, else the OS_* variables (the access layer's rules). Other URL options:
//   page-size=N      objects per listing page (default 10 000, Swift's maximum)
//   retries=N        attempts per request on transient failures (default 6)
//   storage-url=URL  send object requests to this storage URL instead of the catalog's
import { ConfigError } from '../../errors.js';
import { openSession } from '../../openstack/connect.js';
import type { BackendFactory } from './index.js';
import { normalisePrefix, parsePositiveInt } from './object-store-keys.js';
import { DEFAULT_RETRY } from './object-store-retry.js';
import { SwiftBackend } from './swift-backend.js';

export const SWIFT_OPTIONS = ['cloud', 'page-size', 'retries', 'storage-url'] as const;

export const createBackend: BackendFactory = async (url, opts) => {
  const settings = opts.settings ?? {};
  const env = opts.env ?? process.env;
  for (const key of url.searchParams.keys()) {
    if (!(SWIFT_OPTIONS as readonly string[]).includes(key)) {
      throw new ConfigError(`unknown option "${key}" in swift:// URL (known: ${SWIFT_OPTIONS.join(', ')})`);
    }
  }
  const pick = (name: string): string | undefined => url.searchParams.get(name) ?? settings[name] ?? undefined;
  const container = decodeURIComponent(url.hostname);
  if (!container) throw new ConfigError('swift:// URL has no container: use swift://CONTAINER/PREFIX?cloud=NAME');
  if (container.length > 256 || container.includes('/')) {
    throw new ConfigError(`"${container}" is not a valid Swift container name (at most 256 bytes, no "/")`);
  }
  const storageUrl = pick('storage-url');
  if (storageUrl !== undefined && !/^https?:\/\//.test(storageUrl)) {
    throw new ConfigError(`storage-url "${storageUrl}" must be an http:// or https:// URL`);
  }
  const pageSize = parsePositiveInt('page-size', pick('page-size'), 10_000);
  const attempts = parsePositiveInt('retries', pick('retries'), 100);

  const session = await openSession({ cloud: pick('cloud') ?? settings.osCloud, env });
  try {
    if (!session.hasService('object-store')) {
      throw new ConfigError(`cloud ${session.cloudName} has no object-store (Swift) service in its catalog`);
    }
    const client = await session.client('object-store');
    const backend = new SwiftBackend(client, {
      container,
      prefix: normalisePrefix(url.pathname),
      cloud: session.cloudName,
      pageSize,
      retry: attempts ? { ...DEFAULT_RETRY, attempts } : DEFAULT_RETRY,
      storageUrl,
      onClose: () => session.close(),
    });
    await backend.ensureContainer(opts.create ?? false);
    return backend;
  } catch (err) {
    await session.close();
    throw err;
  }
};
