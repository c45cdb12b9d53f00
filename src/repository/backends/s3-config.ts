// Resolves where and how an `s3://BUCKET/PREFIX` repository is reached: endpoint, region, path-style
// addressing, credentials and tuning, from (highest precedence first) the URL's query options,
// the caller's settings (command-line options), and the usual AWS environment variables.
import { ConfigError } from '../../errors.js';
import type { BackendOptions } from './index.js';
import { normalisePrefix, parseBool, parsePositiveInt } from './object-store-keys.js';
import { DEFAULT_RETRY, type RetryPolicy } from './object-store-retry.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3Config {
  bucket: string;
  /** Object-name prefix of the repository inside the bucket: '' or 'a/b/'. */
  prefix: string;
  /** Service endpoint (scheme + host + port), without the bucket. */
  endpoint: URL;
  region: string;
  /** `/BUCKET/KEY` on the endpoint host instead of `BUCKET.host/KEY` (MinIO, Swift s3api, Ceph). */
  pathStyle: boolean;
  credentials: S3Credentials;
  /** Keys per ListObjectsV2 page (S3's maximum and default is 1000). */
  pageSize: number;
  retry: RetryPolicy;
  /** Per-request socket idle timeout in ms. */
  timeoutMs: number;
}

/** The query options an s3:// URL understands (also accepted as settings of the same names). */
export const S3_OPTIONS = ['endpoint', 'region', 'path-style', 'page-size', 'retries', 'timeout'] as const;

function pick(url: URL, settings: Record<string, string | undefined>, name: string): string | undefined {
  return url.searchParams.get(name) ?? settings[name] ?? undefined;
}

export function resolveS3Config(url: URL, opts: BackendOptions): S3Config {
  const env = opts.env ?? process.env;
  const settings = opts.settings ?? {};
  for (const key of url.searchParams.keys()) {
    if (!(S3_OPTIONS as readonly string[]).includes(key)) {
      throw new ConfigError(`unknown option "${key}" in s3:// URL (known: ${S3_OPTIONS.join(', ')})`);
    }
  }
  const bucket = url.hostname;
  if (!bucket) throw new ConfigError('s3:// URL has no bucket: use s3://BUCKET/PREFIX');
  if (!/^[a-z0-9][a-z0-9.\-_]{1,254}$/i.test(bucket)) {
    throw new ConfigError(`"${bucket}" is not a valid bucket name (letters, digits, '.', '-', '_')`);
  }

  const region = pick(url, settings, 'region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const endpointText = pick(url, settings, 'endpoint') ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  let endpoint: URL;
  try {
    endpoint = new URL(endpointText ?? `https://s3.${region}.amazonaws.com`);
  } catch (err) {
    throw new ConfigError(`S3 endpoint "${endpointText}" is not a URL (expected e.g. http://127.0.0.1:8080)`, { cause: err });
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw new ConfigError(`S3 endpoint "${endpointText}" must be an http:// or https:// URL`);
  }
  // Custom endpoints (MinIO, Ceph, Swift's s3api) are nearly always path-style; AWS itself is not.
  const pathStyle = parseBool('path-style', pick(url, settings, 'path-style')) ?? endpointText !== undefined;

  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new ConfigError(
      `no S3 credentials for s3://${bucket}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ` +
        '(and AWS_SESSION_TOKEN for temporary credentials)',
    );
  }

  const attempts = parsePositiveInt('retries', pick(url, settings, 'retries'), 100);
  const timeoutS = parsePositiveInt('timeout', pick(url, settings, 'timeout'), 3600);
  return {
    bucket,
    prefix: normalisePrefix(url.pathname),
    endpoint: new URL(endpoint.origin),
    region,
    pathStyle,
    credentials: { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined },
    pageSize: parsePositiveInt('page-size', pick(url, settings, 'page-size'), 1000) ?? 1000,
    retry: attempts ? { ...DEFAULT_RETRY, attempts } : DEFAULT_RETRY,
    timeoutMs: (timeoutS ?? 120) * 1000,
  };
}
