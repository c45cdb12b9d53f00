import { describe, expect, it } from 'vitest';
import { ExitCode, PermafrostError } from '../../../src/errors.js';
import { resolveS3Config } from '../../../src/repository/backends/s3-config.js';

const creds = { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'SECRET' };

function configError(fn: () => unknown): PermafrostError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PermafrostError);
    expect((err as PermafrostError).exitCode).toBe(ExitCode.config);
    return err as PermafrostError;
  }
  throw new Error('expected a configuration error');
}

describe('resolveS3Config', () => {
  it('defaults to AWS: virtual-host addressing, us-east-1, no prefix', () => {
    const c = resolveS3Config(new URL('s3://bucket'), { env: creds });
    expect(c.endpoint.href).toBe('https://s3.us-east-1.amazonaws.com/');
    expect(c.region).toBe('us-east-1');
    expect(c.pathStyle).toBe(false);
    expect(c.prefix).toBe('');
    expect(c.pageSize).toBe(1000);
    expect(c.credentials).toEqual({ accessKeyId: 'AKID', secretAccessKey: 'SECRET', sessionToken: undefined });
  });

  it('reads endpoint and region from the AWS variables, S3-specific endpoint first', () => {
    const c = resolveS3Config(new URL('s3://bkt/a/b/'), {
      env: { ...creds, AWS_ENDPOINT_URL: 'http://generic:1', AWS_ENDPOINT_URL_S3: 'http://s3only:2/', AWS_DEFAULT_REGION: 'r1', AWS_SESSION_TOKEN: 'tok' },
    });
    expect(c.endpoint.origin).toBe('http://s3only:2');
    expect(c.region).toBe('r1');
    expect(c.pathStyle).toBe(true); // custom endpoints are path-style unless told otherwise
    expect(c.prefix).toBe('a/b/');
    expect(c.credentials.sessionToken).toBe('tok');
    expect(resolveS3Config(new URL('s3://bkt'), { env: { ...creds, AWS_REGION: 'r2', AWS_DEFAULT_REGION: 'r1' } }).region).toBe('r2');
  });

  it('lets URL options win over settings and settings over the environment', () => {
    const env = { ...creds, AWS_ENDPOINT_URL: 'http://env:1', AWS_REGION: 'env-region' };
    const fromSettings = resolveS3Config(new URL('s3://bkt/p'), { env, settings: { endpoint: 'http://set:2', region: 'set-region' } });
    expect([fromSettings.endpoint.origin, fromSettings.region]).toEqual(['http://set:2', 'set-region']);
    const fromUrl = resolveS3Config(new URL('s3://bkt/p?endpoint=http%3A%2F%2Furl%3A3&region=url-region&path-style=false&page-size=5&retries=2'), {
      env,
      settings: { endpoint: 'http://set:2' },
    });
    expect([fromUrl.endpoint.origin, fromUrl.region, fromUrl.pathStyle, fromUrl.pageSize, fromUrl.retry.attempts]).toEqual([
      'http://url:3',
      'url-region',
      false,
      5,
      2,
    ]);
  });

  it('explains missing credentials and bad options', () => {
    expect(configError(() => resolveS3Config(new URL('s3://bkt'), { env: {} })).message).toMatch(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    expect(configError(() => resolveS3Config(new URL('s3://bkt?endpoint=ftp://x'), { env: creds })).message).toMatch(/http/);
    expect(configError(() => resolveS3Config(new URL('s3://bkt?page-size=0'), { env: creds })).message).toMatch(/page-size/);
    expect(configError(() => resolveS3Config(new URL('s3://bkt?path-style=maybe'), { env: creds })).message).toMatch(/boolean/);
    expect(configError(() => resolveS3Config(new URL('s3://bkt?unknown=1'), { env: creds })).message).toMatch(/unknown option/);
  });
});
