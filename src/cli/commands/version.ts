import type { Command } from 'commander';
import { createRequire } from 'node:module';

export function register(program: Command): void {
  const require = createRequire(import.meta.url);
  // dist/src/cli/commands → package root is four levels up when compiled, three from sources.
  let version = '0.0.0';
  for (const rel of ['../../../package.json', '../../../../package.json']) {
    try {
      version = (require(rel) as { version: string }).version;
      break;
    } catch {
      /* try the next location */
    }
  }
  program.version(version, '-V, --version', 'print the permafrost version');
}
