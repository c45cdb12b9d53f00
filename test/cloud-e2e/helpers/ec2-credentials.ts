// Keystone EC2 credentials for the S3 API of the local cloud's Swift (s3api + s3token): created
// for the demo user for one test file and deleted afterwards.
import { execFileSync } from 'node:child_process';

export interface Ec2Credentials {
  access: string;
  secret: string;
}

const CLOUD = 'devcloud-demo';

export function createEc2Credentials(): Ec2Credentials {
  const out = execFileSync('openstack', ['--os-cloud', CLOUD, 'ec2', 'credentials', 'create', '-f', 'json'], { encoding: 'utf8' });
  const parsed = JSON.parse(out) as { access: string; secret: string };
  return { access: parsed.access, secret: parsed.secret };
}

/** Best effort: a cleanup failure is reported but does not fail the suite that already ran. */
export function deleteEc2Credentials(creds: Ec2Credentials | undefined): void {
  if (!creds) return;
  try {
    execFileSync('openstack', ['--os-cloud', CLOUD, 'ec2', 'credentials', 'delete', creds.access], { stdio: 'pipe' });
  } catch (err) {
    console.warn(`could not delete the test EC2 credentials ${creds.access}: ${(err as Error).message}`);
  }
}
