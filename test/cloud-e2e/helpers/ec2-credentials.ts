// A throw-away project for the S3 tests on the local cloud's Swift S3 API (s3api + s3token): the
// admin creates a project and a user with the member role in it, the user creates Keystone EC2
// credentials for it (access/secret = what S3 clients sign with), and everything — buckets
// (= Swift containers), credentials, user, project — is removed afterwards. The shared `demo`
// project is never touched.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

// Asynchronous on purpose: the CLI takes seconds per call on a loaded machine, and a blocked test
// worker misses vitest's RPC heartbeats ("Timeout calling onTaskUpdate").
const run = promisify(execFile);

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

/** `openstack ARGS` (as admin unless `env` says otherwise); its stdout. */
export async function os(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { stdout } = await run('openstack', args, { encoding: 'utf8', env, timeout: 300_000, maxBuffer: 16 * 2 ** 20 });
  return stdout;
}

async function osJson<T>(args: string[], env?: NodeJS.ProcessEnv): Promise<T> {
  return JSON.parse(await os([...args, '-f', 'json'], env)) as T;
}

export async function createS3TestProject(area: string): Promise<S3TestProject> {
  const name = `pf-${area}-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  const project = await osJson<{ id: string }>([...ADMIN, 'project', 'create', '--domain', 'default', name]);
  const user = await osJson<{ id: string }>([...ADMIN, 'user', 'create', '--domain', 'default', `--password=${password}`, '--project', project.id, name]);
  await os([...ADMIN, 'role', 'add', '--project', project.id, '--user', user.id, 'member']);
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
  const ec2 = await osJson<{ access: string; secret: string }>(['ec2', 'credentials', 'create'], osEnv);
  return { name, projectId: project.id, userId: user.id, access: ec2.access, secret: ec2.secret, osEnv };
}

/** Best effort: a cleanup failure is reported but does not fail the suite that already ran. */
export async function deleteS3TestProject(p: S3TestProject | undefined): Promise<void> {
  if (!p) return;
  const step = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      console.warn(`S3 test cleanup: could not ${what}: ${(err as Error).message.split('\n')[0]}`);
    }
  };
  await step('empty the buckets', async () => {
    for (const c of await osJson<{ Name: string }[]>(['container', 'list'], p.osEnv)) {
      await os(['container', 'delete', '--recursive', c.Name], p.osEnv);
    }
  });
  await step('delete the EC2 credentials', () => os(['ec2', 'credentials', 'delete', p.access], p.osEnv));
  await step(`delete user ${p.name}`, () => os([...ADMIN, 'user', 'delete', p.userId]));
  await step(`delete project ${p.name}`, () => os([...ADMIN, 'project', 'delete', p.projectId]));
}
