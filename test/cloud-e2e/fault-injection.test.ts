// A whole backup and a whole restore of the seeded `demo` project through a proxy that injects
// faults into every service (Keystone, Nova, Cinder, Glance, Neutron, Swift, and Swift's S3 API,
// which holds the repository): 5xx, 429 with Retry-After, connection resets mid-body, stalls past
// the client's timeout, and token expiry (401). Both runs must complete with byte-identical data:
// the faulted backup's data equals that of a backup without faults (taken while the restore
// runs), and `restore verify` of the restored project (a new project pf-test-faults-*, removed
// afterwards) finds no difference in fields or data. docs/fault-model.md describes the model.
// FAULT_RATE / FAULT_SEED (environment) repeat a run with another rate or the same faults.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../src/openstack/types.js';
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy.js';
import { createS3TestProject, deleteS3TestProject, type S3TestProject } from './helpers/ec2-credentials.js';
import { adminSession, dropProject, dropRestoreGlobals, FOREIGN_TEST_RESOURCES, freshRestoreRepository, notIdentical, reportOf, runCli, type CliRun } from './helpers/restore-harness.js';

const MINUTE = 60_000;
const RATE = Number(process.env.FAULT_RATE ?? 0.05);
const SEED = Number(process.env.FAULT_SEED ?? 16);
const suffix = randomBytes(3).toString('hex');
const TARGET = `pf-test-faults-${suffix}`;
const BUCKET = `pf-test-faults-${suffix}`;
/** Client timeout of the proxied clouds (api_timeout); a stall lasts longer. */
const API_TIMEOUT_S = 30;
const SERVICES = ['identity', 'compute', 'volumev3', 'image', 'network', 'object-store', 's3'];

let proxy: FaultProxy;
let dir: string;
let repo: string;
let s3: S3TestProject | undefined;
let admin: Session;
let faultedSnapshot: string;
let cleanBackup: Promise<{ repo: string; run: CliRun; snapshot?: string }>;
let cleanDir: string | undefined;
const plan = () => path.join(dir, 'plan-faults.json');

/** A clouds.yaml with every cloud of the machine's plus `pf-faults-demo` / `pf-faults-admin`: demo and admin through the proxy. */
function writeCloudsYaml(): string {
  const source = process.env.OS_CLIENT_CONFIG_FILE ?? '/etc/openstack/clouds.yaml';
  const doc = parse(readFileSync(source, 'utf8')) as { clouds: Record<string, { auth: Record<string, unknown> } & Record<string, unknown>> };
  for (const [name, from] of [['pf-faults-demo', 'devcloud-demo'], ['pf-faults-admin', 'devcloud-admin']] as const) {
    const base = doc.clouds[from]!;
    doc.clouds[name] = { ...base, auth: { ...base.auth, auth_url: `${proxy.url}/v3` }, api_timeout: API_TIMEOUT_S };
  }
  const file = path.join(dir, 'clouds.yaml');
  writeFileSync(file, stringify(doc), { mode: 0o600 });
  return file;
}

/** Data streams of a snapshot (kind/id/stream → sha256 and size), from `show --json`. */
async function streamsOf(repository: string, snapshot: string): Promise<Map<string, string>> {
  const run = await runCli(['show', snapshot, '--repo', repository, '--json']);
  if (run.code !== 0) throw new Error(`show ${snapshot}: exit ${run.code}\n${run.stderr}`);
  const doc = JSON.parse(run.stdout) as { resources: Array<{ kind: string; id: string; name: string; data?: Array<{ stream: string; size: number; sha256: string }> }> };
  const out = new Map<string, string>();
  for (const r of doc.resources) for (const d of r.data ?? []) out.set(`${r.kind} ${r.name} ${d.stream}`, `${d.size} ${d.sha256}`);
  return out;
}

async function backupThrough(cloud: string, repository: string): Promise<{ run: CliRun; snapshot?: string }> {
  const run = await runCli(['backup', '--os-cloud', cloud, '--repo', repository, '--json', ...FOREIGN_TEST_RESOURCES], { timeoutMs: 14 * MINUTE });
  const result = reportOf(run).projects?.[0];
  return { run, snapshot: result?.snapshot };
}

beforeAll(async () => {
  ({ dir } = await freshRestoreRepository('pf-test-faults-'));
  proxy = await startFaultProxy({ keystone: 'http://127.0.0.1:5000', rate: RATE, seed: SEED, stallMs: (API_TIMEOUT_S + 5) * 1000 });
  process.env.OS_CLIENT_CONFIG_FILE = writeCloudsYaml();
  s3 = await createS3TestProject('test-faults');
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: s3.access, AWS_SECRET_ACCESS_KEY: s3.secret, AWS_REGION: 'RegionOne' });
  const s3Endpoint = await proxy.route('http://127.0.0.1:8080', 'object-store');
  repo = `s3://${BUCKET}/repo?endpoint=${encodeURIComponent(s3Endpoint)}&path-style=true`;
  const init = await runCli(['repo', 'init', '--repo', repo]);
  if (init.code !== 0) throw new Error(`repo init through the proxy: exit ${init.code}\n${init.stderr}`);
  admin = await adminSession();
}, 5 * MINUTE);

afterAll(async () => {
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    await fn().catch((err: unknown) => problems.push(`${what}: ${(err as Error).message}`));
  };
  if (proxy) proxy.enabled = false;
  await cleanBackup?.catch(() => undefined);
  await Promise.all([
    admin &&
      (async () => {
        await attempt(`drop ${TARGET}`, () => dropProject(admin, TARGET));
        await attempt('keypairs and flavors of the restore', () => dropRestoreGlobals(admin, plan()));
        await admin.close();
      })(),
    deleteS3TestProject(s3),
    cleanDir && rm(cleanDir, { recursive: true, force: true }),
    dir && rm(path.join(dir, 'repo'), { recursive: true, force: true }),
  ]);
  await proxy?.close();
  if (problems.length > 0) throw new Error(`cleanup left something behind:\n${problems.join('\n')}`);
}, 15 * MINUTE);

describe(`backup and restore of demo through ${RATE * 100} % injected faults (seed ${SEED})`, () => {
  it('backs demo up completely through the faults', async () => {
    const started = Date.now();
    const { run, snapshot } = await backupThrough('pf-faults-demo', repo);
    const report = reportOf(run).projects[0];
    expect(report.failures, run.stderr.slice(-3000)).toEqual([]);
    expect(report.status).toBe('ok');
    expect(run.code).toBe(0);
    faultedSnapshot = snapshot!;
    console.info(`backup through the faults: ${Math.round((Date.now() - started) / 1000)} s`);
    // the reference, taken without the proxy while the restore runs: a backup of demo into a local repository
    cleanBackup = (async () => {
      const local = await freshRestoreRepository('pf-test-faults-clean-');
      cleanDir = local.dir;
      return { repo: local.repo, ...(await backupThrough('devcloud-demo', local.repo)) };
    })();
    cleanBackup.catch(() => undefined);
  }, 15 * MINUTE);

  it('restores the faulted snapshot into a new project: complete, and restore verify finds no difference', async () => {
    expect(faultedSnapshot, 'the faulted backup made a snapshot').toBeDefined();
    const started = Date.now();
    const planned = await runCli(['restore', 'plan', faultedSnapshot, '--repo', repo, '--os-cloud', 'pf-faults-admin', '--project', TARGET, '--create-project', '-o', plan()]);
    expect(planned.code, planned.stderr.slice(-3000)).toBe(0);

    // a step whose every attempt met a fault fails; apply again resumes (done steps are not repeated)
    let apply = await runCli(['restore', 'apply', plan(), '--json', '--no-verify'], { timeoutMs: 15 * MINUTE });
    const resumes: string[] = [];
    for (let i = 0; i < 2 && reportOf(apply).apply.failed.length > 0; i++) {
      resumes.push(...reportOf(apply).apply.failed);
      apply = await runCli(['restore', 'apply', plan(), '--json', '--no-verify'], { timeoutMs: 10 * MINUTE });
    }
    const applied = reportOf(apply).apply;
    expect(applied.failed, apply.stderr.slice(-3000)).toEqual([]);
    expect(applied.blocked).toEqual([]);
    expect(apply.code).toBe(0);
    if (resumes.length > 0) console.info(`steps finished by a resumed apply: ${resumes.join(', ')}`);

    console.info(`restore through the faults: ${Math.round((Date.now() - started) / 1000)} s`);
    const verifyStarted = Date.now();
    const verify = await runCli(['restore', 'verify', plan(), '--json'], { timeoutMs: 10 * MINUTE });
    console.info(`restore verify through the faults: ${Math.round((Date.now() - verifyStarted) / 1000)} s`);
    const fidelity = reportOf(verify).fidelity;
    expect(fidelity.different, notIdentical(reportOf(verify))).toBe(0);
    expect(fidelity.missing).toBe(0);
    expect(fidelity.dataFailures).toEqual([]);
    expect(fidelity.data.different).toBe(0);
    expect(fidelity.data.checked).toBeGreaterThan(10);
    expect(verify.code).toBe(0);
  }, 30 * MINUTE);

  it('backed up the same data through the faults as without them', async () => {
    const clean = await cleanBackup;
    expect(clean.run.code, clean.run.stderr.slice(-3000)).toBe(0);
    const faulted = await streamsOf(repo, faultedSnapshot);
    const reference = await streamsOf(clean.repo, clean.snapshot!);
    // a running server's root disk changes between two backups: compared are images, volumes, objects
    const compared = [...reference].filter(([key]) => !key.startsWith('server '));
    expect(compared.length).toBeGreaterThan(10);
    for (const [key, value] of compared) expect(faulted.get(key), key).toBe(value);
  }, 15 * MINUTE);

  it('injected faults into every service at the rate asked for', () => {
    const table = Object.fromEntries([...proxy.stats].map(([service, s]) => [service, { requests: s.requests, ...s.faults }]));
    console.info(`faults injected (rate ${RATE}, seed ${SEED}):\n${JSON.stringify(table, null, 1)}`);
    for (const service of SERVICES) {
      const s = proxy.stats.get(service);
      expect(s, `${service} was reached through the proxy`).toBeDefined();
      const faults = Object.values(s!.faults).reduce((a, b) => a + b, 0);
      expect(faults, `${service}: faults in ${s!.requests} requests`).toBeGreaterThanOrEqual(Math.floor(s!.requests * RATE * 0.9));
      expect(faults, service).toBeGreaterThan(0);
    }
  });
});
