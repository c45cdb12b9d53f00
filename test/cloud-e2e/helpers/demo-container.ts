// Cleanup of test containers (= S3 buckets) in the seeded demo project, through the openstack CLI
// so that it does not depend on the backend under test.
import { execFileSync } from 'node:child_process';

/** Removes a container and everything in it from the demo project; a missing one is fine. */
export function deleteDemoContainer(name: string): void {
  try {
    execFileSync('openstack', ['--os-cloud', 'devcloud-demo', 'container', 'delete', '--recursive', name], { stdio: 'ignore' });
  } catch {
    // Already gone (or never created): nothing to clean up.
  }
}
