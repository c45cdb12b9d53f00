// Picks and loads the cloud to talk to, as openstacksdk does: a named cloud (argument, then
// OS_CLOUD) from the first clouds.yaml found with secure.yaml merged in, or, without a name,
// the cloud the plain OS_* variables describe. Command-line overrides apply last.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { Interface, ServiceType } from '../openstack/types.js';
import type { CloudConfig } from './cloud-config.js';
import { deepMerge } from './deep-merge.js';
import { cloudFromEnv } from './env-vars.js';
import { normalizeCloud, type CloudSource } from './normalize-cloud.js';
import { readFirstConfigFile } from './read-config-file.js';
import { cloudsFileCandidates, secureFileCandidates, type SearchContext } from './search-paths.js';

export interface CloudOverrides {
  region?: string;
  interface?: Interface;
  /** true = do not verify TLS certificates. */
  insecure?: boolean;
  cacert?: string;
  timeoutMs?: number;
  endpointOverrides?: Partial<Record<ServiceType, string>>;
}

export interface LoadCloudOptions {
  /** Cloud name (`--os-cloud`); falls back to OS_CLOUD. */
  cloud?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Home directory for ~/.config/openstack (tests). */
  home?: string;
  overrides?: CloudOverrides;
}

const ENV_SOURCE = 'environment (OS_* variables)';
const ENV_CLOUD_NAME = 'envvars';
const INTERFACES: Interface[] = ['public', 'internal', 'admin'];

function applyOverrides(cfg: CloudConfig, o: CloudOverrides | undefined, env: NodeJS.ProcessEnv, fromFile: boolean): CloudConfig {
  // OS_REGION_NAME selects a region of a named cloud too (openstacksdk treats it as a selector).
  const region = o?.region ?? (fromFile ? env.OS_REGION_NAME || undefined : undefined) ?? cfg.region;
  if (o?.interface !== undefined && !INTERFACES.includes(o.interface)) {
    throw new ConfigError(`--os-interface must be one of ${INTERFACES.join(', ')} (got ${JSON.stringify(o.interface)})`);
  }
  return {
    ...cfg,
    region,
    interface: o?.interface ?? cfg.interface,
    tls: {
      ...cfg.tls,
      verify: o?.insecure ? false : cfg.tls.verify,
      cacert: o?.cacert ?? cfg.tls.cacert,
    },
    timeoutMs: o?.timeoutMs ?? cfg.timeoutMs,
    endpointOverrides: { ...cfg.endpointOverrides, ...o?.endpointOverrides },
  };
}

/** Loads, validates and returns the selected cloud's configuration; throws one ConfigError. */
export function loadCloudConfig(opts: LoadCloudOptions = {}): CloudConfig {
  const env = opts.env ?? process.env;
  const ctx: SearchContext = { env, cwd: opts.cwd ?? process.cwd(), home: opts.home };
  // openstacksdk silently skips a missing override file; a typo there deserves a clear error.
  for (const v of ['OS_CLIENT_CONFIG_FILE', 'OS_CLIENT_SECURE_FILE']) {
    const file = env[v];
    if (file && !existsSync(path.resolve(ctx.cwd, file))) {
      throw new ConfigError(`${v} names ${path.resolve(ctx.cwd, file)}, which does not exist; fix or unset the variable`);
    }
  }
  const name = opts.cloud || env.OS_CLOUD || undefined;
  const candidates = cloudsFileCandidates(ctx);
  const clouds = readFirstConfigFile(candidates, 'clouds.yaml');
  const envCloud = cloudFromEnv(env);

  if (name !== undefined && clouds && Object.hasOwn(clouds.clouds, name)) {
    const secure = readFirstConfigFile(secureFileCandidates(ctx), 'secure.yaml');
    let entry = clouds.clouds[name];
    const secureEntry = secure?.clouds[name];
    if (secureEntry !== undefined && secureEntry !== null) {
      if (typeof secureEntry !== 'object' || Array.isArray(secureEntry)) {
        throw new ConfigError(`secure.yaml ${secure!.path}, cloud "${name}": must be a mapping of settings`);
      }
      if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
        entry = deepMerge(entry as Record<string, unknown>, secureEntry as Record<string, unknown>);
      }
    }
    const src: CloudSource = {
      cloudName: name,
      where: `clouds.yaml ${clouds.path}` + (secureEntry ? ` (with secure.yaml ${secure!.path})` : ''),
      fromEnv: false,
    };
    return applyOverrides(normalizeCloud(src, entry), opts.overrides, env, true);
  }

  if (name !== undefined && !(name === (env.OS_CLOUD_NAME || ENV_CLOUD_NAME) && envCloud)) {
    if (!clouds) {
      throw new ConfigError(`cloud "${name}" not found: no clouds.yaml exists (looked at ${candidates.join(', ')}); create one or set OS_CLIENT_CONFIG_FILE`);
    }
    const known = Object.keys(clouds.clouds);
    throw new ConfigError(
      `cloud "${name}" is not defined in clouds.yaml ${clouds.path}; ` +
        (known.length ? `known clouds: ${known.join(', ')}` : 'that file defines no clouds'),
    );
  }

  if (envCloud) {
    const src: CloudSource = { cloudName: name ?? env.OS_CLOUD_NAME ?? ENV_CLOUD_NAME, where: ENV_SOURCE, fromEnv: true };
    return applyOverrides(normalizeCloud(src, envCloud), opts.overrides, env, false);
  }

  const known = clouds ? Object.keys(clouds.clouds) : [];
  throw new ConfigError(
    'no cloud selected: pass --os-cloud NAME or set OS_CLOUD' +
      (known.length ? ` (clouds in ${clouds!.path}: ${known.join(', ')})` : ' (no clouds.yaml found)') +
      ', or set the OS_AUTH_URL/OS_USERNAME/OS_PASSWORD/OS_PROJECT_NAME variables',
  );
}
