// Entry point of the access layer for commands and services: load the cloud configuration and
// authenticate. Also the common cloud options every command that talks to a cloud offers.
import { Option, type Command } from 'commander';
import { KeystoneSession, type SessionOptions } from '../auth/keystone-session.js';
import { loadCloudConfig, type CloudOverrides } from '../config/load-cloud-config.js';
import { configureLogging, getLogger, type Logger } from '../log/logger.js';
import type { Interface } from './types.js';

export interface OpenSessionOptions {
  /** Cloud name from clouds.yaml (`--os-cloud`); falls back to OS_CLOUD, then OS_* variables. */
  cloud?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Home directory for ~/.config/openstack (tests). */
  home?: string;
  /** Switches the shared logger to debug level (`--debug`). */
  debug?: boolean;
  /** Logger to use instead of the shared one (tests capture output with it). */
  logger?: Logger;
  overrides?: CloudOverrides;
  retryPolicy?: SessionOptions['retryPolicy'];
}

/** Loads the cloud configuration and returns an authenticated Keystone session. */
export async function openSession(opts: OpenSessionOptions = {}): Promise<KeystoneSession> {
  const config = loadCloudConfig({ cloud: opts.cloud, env: opts.env, cwd: opts.cwd, home: opts.home, overrides: opts.overrides });
  let logger = opts.logger;
  if (!logger) logger = opts.debug ? configureLogging({ debug: true }) : getLogger();
  return KeystoneSession.open(config, { logger, retryPolicy: opts.retryPolicy });
}

/** The options `addCloudOptions` defines, as commander hands them over. */
export interface CloudCommandOptions {
  osCloud?: string;
  osRegionName?: string;
  osInterface?: Interface;
  insecure?: boolean;
  osCacert?: string;
  debug?: boolean;
}

/** Adds `--os-cloud`, `--os-region-name`, `--os-interface`, `--os-cacert`, `--insecure` to a command. */
export function addCloudOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--os-cloud <name>', 'cloud from clouds.yaml (default: $OS_CLOUD, else the OS_* variables)'))
    .addOption(new Option('--os-region-name <region>', 'region to use (default: region_name of the cloud, $OS_REGION_NAME)'))
    .addOption(new Option('--os-interface <interface>', 'endpoint interface (default: interface of the cloud, else public)').choices(['public', 'internal', 'admin']))
    .addOption(new Option('--os-cacert <file>', 'CA bundle to verify TLS certificates with'))
    .addOption(new Option('--insecure', 'do not verify TLS certificates (unsafe)'));
}

/**
 * Opens the session a command asked for. Pass `cmd.optsWithGlobals()` so that the global
 * `--debug` is seen too.
 */
export async function sessionFromOptions(opts: CloudCommandOptions, extra: Omit<OpenSessionOptions, 'cloud' | 'overrides' | 'debug'> = {}): Promise<KeystoneSession> {
  return openSession({
    ...extra,
    cloud: opts.osCloud,
    debug: opts.debug,
    overrides: {
      region: opts.osRegionName,
      interface: opts.osInterface,
      insecure: opts.insecure,
      cacert: opts.osCacert,
    },
  });
}
