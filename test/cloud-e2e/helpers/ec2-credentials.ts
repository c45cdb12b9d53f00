// A throw-away project for the S3 tests on the local cloud's Swift S3 API (s3api + s3token): the
// admin creates a project and a user with the member role in it, the user creates Keystone EC2
// credentials for it (access/secret = what S3 clients sign with), and everything — buckets
// (= Swift containers), credentials, user, project — is removed afterwards. The shared `demo`
// project is never touched.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface S3TestProject {
  name: string;
  projectId: string;
  userId: string;
  access: string;
  secret: string;
  /** Environment for `openstack` as the test user (no clouds.yaml entry needed). */
  osEnv: NodeJS.ProcessEnv;
}

const ADMIN = ['--os-cloud', 'devcloud-admin'];
const AUTH_URL = 'http://127.0.0.1:5000/v3';

function os(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync('openstack', args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

function osJson<T>(args: string[], env?: NodeJS.ProcessEnv): T {
  return JSON.parse(os([...args, '-f', 'json'], env)) as T;
}

export function createS3TestProject(area: string): S3TestProject {
  const name = `pf-${area}-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  const project = osJson<{ id: string }>([...ADMIN, 'project', 'create', '--domain', 'default', name]);
  const user = osJson<{ id: string }>([...ADMIN, 'user', 'create', '--domain', 'default', '--password', password, '--project', project.id, name]);
  os([...ADMIN, 'role', 'add', '--project', project.id, '--user', user.id, 'member']);
  // Everything the cloud entry of clouds.yaml would give, without OS_CLOUD.
  const osEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    OS_AUTH_URL: AUTH_URL,
    OS_IDENTITY_API_VERSION: '3',
    OS_USERNAME: name,
    OS_PASSWORD: password,
    OS_PROJECT_NAME: name,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_REGION_NAME: 'RegionOne',
    OS_INTERFACE: 'public',
  };
  const ec2 = osJson<{ access: string; secret: string }>(['ec2', 'credentials', 'create'], osEnv);
  return { name, projectId: project.id, userId: user.id, access: ec2.access, secret: ec2.secret, osEnv };
}

/** Best effort: a cleanup failure is reported but does not fail the suite that already ran. */
export function deleteS3TestProject(p: S3TestProject | undefined): void {
  if (!p) return;
  const step = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      console.warn(`S3 test cleanup: could not ${what}: ${(err as Error).message.split('\n')[0]}`);
    }
  };
  step('empty the buckets', () => {
    for (const c of osJson<{ Name: string }[]>(['container', 'list'], p.osEnv)) {
      os(['container', 'delete', '--recursive', c.Name], p.osEnv);
    }
  });
  step('delete the EC2 credentials', () => os(['ec2', 'credentials', 'delete', p.access], p.osEnv));
  step(`delete user ${p.name}`, () => os([...ADMIN, 'user', 'delete', p.userId]));
  step(`delete project ${p.name}`, () => os([...ADMIN, 'project', 'delete', p.projectId]));
}
