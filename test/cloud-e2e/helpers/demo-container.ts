// Cleanup of test containers (= S3 buckets) in the seeded demo project, through the openstack CLI
// so that it does not depend on the backend under test.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * Removes a container and everything in it from the demo project; a missing one is fine.
 * Asynchronous on purpose: a synchronous child process blocks the vitest worker, which then
 * misses its RPC heartbeats on a loaded machine.
 */
export async function deleteDemoContainer(name: string): Promise<void> {
  try {
    await execFileAsync('openstack', ['--os-cloud', 'devcloud-demo', 'container', 'delete', '--recursive', name]);
  } catch {
    // Already gone (or never created): nothing to clean up.
  }
}
