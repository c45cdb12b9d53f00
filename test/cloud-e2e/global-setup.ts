// Real-cloud suites need the local OpenStack (test/cloud). Start it when it is not running,
// reuse it when it is; if it cannot start, fail the run with the reason — never skip.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  if (process.env.PERMAFROST_CLOUD_READY === '1') return; // scripts/test.sh already ensured it
  const script = fileURLToPath(new URL('../cloud/ensure.sh', import.meta.url));
  // The default instance, and instance "two": the "other cloud" of the cross-cloud restore tests.
  for (const args of [[], ['--instance', 'two']]) {
    try {
      execFileSync('bash', [script, ...args], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 40 * 60_000 });
    } catch (err) {
      throw new Error(`the local cloud could not be started (test/cloud/ensure.sh ${args.join(' ')}): ${(err as Error).message}`);
    }
  }
}
