// Shared pieces of the restore suites: one repository with one backup of the seeded `demo`
// project (taken once per test run), the permafrost CLI as a child process, sessions, the plan
// and state files of a restore, and the names every seeded resource must have again afterwards.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initRepository } from '../../../src/repository/index.js';
import { RESOURCE_KINDS } from '../../../src/model/kinds.js';
import { openSession } from '../../../src/openstack/connect.js';
import type { Session } from '../../../src/openstack/types.js';
import { ComputeClient } from '../../../services/compute/client.js';
import { IdentityClient } from '../../../services/identity/client.js';
import { NetworkClient } from '../../../services/networks/client.js';
import { loadServiceModules } from '../../../services/registry.js';
import type { ResourceRecord } from '../../../src/model/resource.js';
import { REPO_ROOT } from './openstack-cli.js';
import { wipeProject } from './wipe-project.js';

export const REPO_PASSWORD = 'pf-test-restore-password';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function cliEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PERMAFROST_PASSWORD: REPO_PASSWORD };
}

/** `node bin/permafrost.js …` with a time limit; resolves with the exit code and output. */
export function runCli(args: string[], opts: { timeoutMs?: number; onStdoutLine?: (line: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['bin/permafrost.js', ...args], { cwd: REPO_ROOT, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20 * 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (!opts.onStdoutLine) return;
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        opts.onStdoutLine(line, child);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : 1), stdout, stderr });
    });
  });
}

/** The last `{"event":"report"…}` line of a --json-events run, or the document of a --json run. */
export function reportOf(run: CliRun): Record<string, any> {
  const lines = run.stdout.trim().split('\n').filter((l) => l.startsWith('{"'));
  for (let i = lines.length - 1; i >= 0; i--) {
    const obj = JSON.parse(lines[i]!) as Record<string, any>;
    if (obj.event === 'report') return obj;
  }
  try {
    return JSON.parse(run.stdout) as Record<string, any>;
  } catch {
    /* neither form: reported below */
  }
  throw new Error(`no report in the output (exit ${run.code}):\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-3000)}`);
}

export function readJson<T = any>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export function stateFileOf(planFile: string): string {
  return `${planFile.replace(/\.json$/, '')}.state.json`;
}

/** `--exclude` of every other suite's own test resources (pf-test-*): not part of the seeded project. */
export const FOREIGN_TEST_RESOURCES = RESOURCE_KINDS.filter((k) => !['project', 'user', 'role', 'role_assignment'].includes(k)).flatMap((k) => ['--exclude', `${k}:pf-test-*`]);

/** Backs up a project (default: the cloud's own) into `repo`; returns the snapshot ID. */
export async function backupProject(repo: string, cloud: string, project?: string): Promise<string> {
  let last = '';
  // a volume another suite is reading at the same moment can fail one attempt: try twice
  for (let attempt = 1; attempt <= 2; attempt++) {
    const run = await runCli(['backup', '--os-cloud', cloud, ...(project ? ['--project', project] : []), '--repo', repo, '--json-events', ...FOREIGN_TEST_RESOURCES], { timeoutMs: 20 * 60_000 });
    const report = reportOf(run);
    const result = report.projects?.[0];
    if (run.code === 0 && result?.snapshot) return String(result.snapshot);
    last = `exit ${run.code}: ${JSON.stringify(result?.failures ?? report).slice(0, 2000)}`;
  }
  throw new Error(`the backup of ${project ?? cloud} did not succeed (${last})`);
}

/** A new, empty repository (password REPO_PASSWORD) in a new temporary folder, which also takes the plan files. */
export async function freshRestoreRepository(prefix = 'pf-test-restore-'): Promise<{ repo: string; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const repo = path.join(dir, 'repo');
  const r = await initRepository(repo, { password: REPO_PASSWORD });
  await r.close();
  return { repo, dir };
}

let backup: Promise<{ repo: string; snapshot: string; dir: string }> | undefined;

/** One repository and one backup of `demo` (read-only: only backed up) for every restore test of the run. */
export function demoBackup(): Promise<{ repo: string; snapshot: string; dir: string }> {
  backup ??= (async () => {
    const { repo, dir } = await freshRestoreRepository();
    return { repo, snapshot: await backupProject(repo, 'devcloud-demo'), dir };
  })();
  return backup;
}

/** Every resource of the session's project, as the services' inventories see it (the snapshot's shape). */
export async function inventoryOf(session: Session): Promise<ResourceRecord[]> {
  const out: ResourceRecord[] = [];
  for (const mod of await loadServiceModules()) {
    if (mod.serviceTypes.some((t) => !session.hasService(t))) continue;
    out.push(...(await mod.inventory({ session, projectId: session.project!.id })).resources);
  }
  return out;
}

/** A session of `cloud`'s user scoped to project `name` (admin clouds give themselves the admin role). */
export async function projectSession(admin: Session, cloud: string, name: string): Promise<Session> {
  const base = await openSession({ cloud });
  try {
    const lookup = cloud.includes('admin') ? base : admin;
    const project = await (await IdentityClient.open(lookup)).findProject(name);
    if (!project) throw new Error(`project ${name} not found in ${cloud}`);
    return await base.scopedTo({ id: project.id });
  } finally {
    await base.close();
  }
}

/** Sorted names of the usable (status ok) records of a kind. */
export function names(records: ResourceRecord[], kind: string): string[] {
  return records.filter((r) => r.kind === kind && r.status === 'ok').map((r) => r.name).sort();
}

/** The fidelity report's resources that are not identical (assertion messages). */
export function notIdentical(report: Record<string, any>): string {
  return JSON.stringify(report.fidelity?.resources?.filter((r: any) => r.verdict !== 'identical'), null, 1);
}

export async function adminSession(cloud = 'devcloud-admin'): Promise<Session> {
  return openSession({ cloud });
}

/** Keypairs (per user) and flavors (cloud-wide) a restore created live outside its project. */
export async function dropRestoreGlobals(session: Session, planFile: string): Promise<void> {
  let state: { steps: Record<string, { created?: boolean; targetId?: string }> };
  try {
    state = readJson(stateFileOf(planFile));
  } catch {
    return;
  }
  const nova = await ComputeClient.open(session);
  for (const [stepId, st] of Object.entries(state.steps)) {
    if (!st.created || !st.targetId) continue;
    if (stepId.startsWith('keypair:')) await nova.deleteKeypair(st.targetId).catch(() => undefined);
    if (stepId.startsWith('flavor:')) await nova.deleteFlavor(st.targetId).catch(() => undefined);
  }
}

/** Empties and deletes a project a test restored into (no-op when it does not exist). */
export async function dropProject(admin: Session, name: string): Promise<void> {
  const identity = await IdentityClient.open(admin);
  const project = await identity.findProject(name).catch(() => undefined);
  if (!project) return;
  await grantRole(admin, project.id, admin.userId, 'admin');
  const scoped = await admin.scopedTo({ id: project.id });
  let defaults: string[] = [];
  try {
    await wipeProject(scoped);
    defaults = (await (await NetworkClient.open(scoped)).listSecurityGroups({ project_id: project.id })).map((g) => g.id);
  } finally {
    await scoped.close();
  }
  await identity.deleteProject(project.id);
  // the project's `default` security group, by ID (listing the project's groups would make it again)
  const neutron = await NetworkClient.open(admin);
  for (const id of defaults) await neutron.deleteSecurityGroup(id).catch(() => undefined);
}

/** Gives a user a role (by name) on a project. */
export async function grantRole(admin: Session, projectId: string, userId: string, roleName: string): Promise<void> {
  const identity = await IdentityClient.open(admin);
  const role = (await identity.listRoles({ name: roleName }))[0];
  if (!role) throw new Error(`no role ${roleName}`);
  await identity.grantProjectRole(projectId, { userId }, role.id).catch((err: unknown) => {
    if ((err as { statusCode?: number }).statusCode !== 409) throw err;
  });
}

/** A scratch project of a suite, with the demo user as its member. */
export interface MemberProject {
  admin: Session;
  projectId: string;
  /** The demo user scoped to the project. */
  member: Session;
}

/** Creates project `name` and gives the demo user the member role on it (suites that restore into their own project). */
export async function openMemberProject(name: string, description: string): Promise<MemberProject> {
  const admin = await adminSession();
  try {
    const identity = await IdentityClient.open(admin);
    const projectId = (await identity.createProject({ name, description, domain_id: 'default' })).id;
    const demoUser = await openSession({ cloud: 'devcloud-demo' });
    await grantRole(admin, projectId, demoUser.userId, 'member');
    await demoUser.close();
    const member = await projectSession(admin, 'devcloud-demo', name);
    return { admin, projectId, member };
  } catch (err) {
    await closeMemberProject({ admin }, name);
    throw err;
  }
}

/** Closes the sessions of openMemberProject and deletes the project with everything in it (also after a half-done set-up). */
export async function closeMemberProject(project: Partial<MemberProject> | undefined, name: string): Promise<void> {
  await project?.member?.close();
  if (project?.admin) {
    await dropProject(project.admin, name);
    await project.admin.close();
  }
}

/** Resources of the seeded demo project (test/cloud/README.md "Seeded demo project", seed-extra.sh), by kind. */
export const SEEDED_DEMO: Record<string, string[]> = {
  network: ['demo-net', 'demo-net2'],
  subnet: ['demo-subnet', 'demo-subnet-pool', 'demo-subnet-v6'],
  subnet_pool: ['demo-pool'],
  router: ['demo-router'],
  security_group: ['demo-sg', 'default'],
  port: ['demo-port-extra'],
  image: ['demo-image', 'demo-image-shared'],
  volume: ['demo-vol-blank', 'demo-vol-from-image'],
  volume_snapshot: ['demo-vol-blank-snap'],
  server: ['demo-server', 'demo-server-ud'],
  server_group: ['demo-group-aa'],
  keypair: ['demo-key'],
  container: ['demo-container', 'demo-public', 'demo-segments', 'demo-versioned'],
};

/**
 * The digest the manifest records for a volume of `size` bytes holding `parts` (offset → bytes) and
 * zeros elsewhere, in the algorithm of `recorded` (streams/stream-digest.ts, computed here on its
 * own from the documented definition): plain SHA-256 of the bytes, or "sha256-b4k:" — SHA-256 over
 * the SHA-256 of every 4 KiB block (32 zero bytes for an all-zero block) and the length as u64le.
 */
export function sparseVolumeDigest(parts: Array<[number, Buffer]>, size: number, recorded: string): string {
  const sorted = [...parts].sort((a, b) => a[0] - b[0]);
  if (!recorded.startsWith('sha256-b4k:')) {
    const h = createHash('sha256');
    const zeros = Buffer.alloc(16 * 2 ** 20);
    let at = 0;
    const pad = (to: number) => {
      for (; at < to; ) {
        const n = Math.min(zeros.length, to - at);
        h.update(zeros.subarray(0, n));
        at += n;
      }
    };
    for (const [offset, bytes] of sorted) {
      pad(offset);
      h.update(bytes);
      at += bytes.length;
    }
    pad(size);
    return h.digest('hex');
  }
  const BLOCK = 4096;
  const zeroDigest = Buffer.alloc(32);
  const tree = createHash('sha256');
  for (let start = 0; start < size; start += BLOCK) {
    const end = Math.min(start + BLOCK, size);
    const touching = sorted.filter(([o, b]) => o < end && o + b.length > start);
    if (touching.length === 0) {
      tree.update(zeroDigest);
      continue;
    }
    const block = Buffer.alloc(end - start);
    for (const [o, b] of touching) b.copy(block, Math.max(0, o - start), Math.max(0, start - o), Math.min(b.length, end - o));
    tree.update(block.every((x) => x === 0) ? zeroDigest : createHash('sha256').update(block).digest());
  }
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(size));
  tree.update(length);
  return `sha256-b4k:${tree.digest('hex')}`;
}
