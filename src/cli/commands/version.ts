// `permafrost version` (and -V/--version): the version, the Node runtime, the platform and
// whether the native helpers (native/: block hashing, sparse-file extents) are active.
import type { Command } from 'commander';
import { createRequire } from 'node:module';
import { formatOption } from '../common-options.js';
import { printJson } from '../repo-access.js';

function packageVersion(): string {
  const require = createRequire(import.meta.url);
  // dist/src/cli/commands → package root is four levels up when compiled, three from sources.
  for (const rel of ['../../../package.json', '../../../../package.json']) {
    try {
      return (require(rel) as { version: string }).version;
    } catch {
      /* try the next location */
    }
  }
  return '0.0.0';
}

export interface VersionInfo {
  version: string;
  node: string;
  platform: string;
  native: { loaded: boolean; blockHashing: string; sparseExtents: boolean };
}

async function versionInfo(version: string): Promise<VersionInfo> {
  // loaded only here: the native binding is not needed to print --version
  const { nativeDataExtent, activeDigestPath } = await import('../../../streams/native.js');
  return {
    version,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    native: { loaded: nativeDataExtent !== undefined, blockHashing: activeDigestPath(), sparseExtents: nativeDataExtent !== undefined },
  };
}

export function register(program: Command): void {
  const version = packageVersion();
  program.version(version, '-V, --version', 'print the permafrost version');
  program
    .command('version')
    .description('print the version, the Node runtime, the platform and whether the native helpers are active')
    .option('--json', 'print as one JSON document')
    .addOption(formatOption())
    .action(async (opts: { json?: boolean }) => {
      const info = await versionInfo(version);
      if (opts.json) return printJson(info);
      const native = info.native.loaded
        ? `active (block hashing: ${info.native.blockHashing}; sparse-file extents: yes)`
        : 'not active (not built or PERMAFROST_NATIVE=0): block hashing: node, sparse files read in full';
      process.stdout.write(`permafrost ${info.version}\nnode ${info.node}\nplatform ${info.platform}\nnative helpers ${native}\n`);
    });
}
