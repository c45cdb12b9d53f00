// Helpers of the tenant-backup suites: a fresh repository, the CLI with JSON events, snapshot
// manifests through `permafrost show --json`, single streams through `permafrost restore-file`,
// and independent views of the cloud (openstack CLI, plain HTTP to Swift) to compare with.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { initRepository } from '../../../src/repository/index.js';
import { createStreamDigest, digestAlgOf } from '../../../streams/stream-digest.js';
import { osJson, permafrost, type CliResult } from './openstack-cli.js';

export const REPO_PASSWORD = 'e2e-backup-password';
export const ENV = { ...process.env, PERMAFROST_PASSWORD: REPO_PASSWORD };
export const SEED_STATE = '/var/lib/devcloud/seed';

export async function freshRepository(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `${prefix}-`));
  const repo = path.join(dir, 'repo');
  const r = await initRepository(repo, { password: REPO_PASSWORD, scrypt: { N: 1 << 14, r: 8, p: 1 } });
  await r.close();
  return repo;
}

export interface BackupRun extends CliResult {
  events: Array<Record<string, unknown> & { event: string }>;
  report?: { exitCode: number; projects: ProjectReport[] };
}

export interface ProjectReport {
  project: { id: string; name: string };
  status: string;
  snapshot?: string;
  stats?: { bytesRead: number; bytesNew: number; bytesStored: number };
  failures: Array<{ kind: string; id: string; name: string; reason: string }>;
  services: Array<{ service: string; ok: number; failed: number; dataBytes: number }>;
  error?: string;
}

/** `permafrost backup … --json`; every stdout line must be one JSON object. */
export async function backup(repo: string, args: string[]): Promise<BackupRun> {
  const res = await permafrost(['backup', '--repo', repo, '--json-events', ...args], ENV);
  const events = res.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown> & { event: string });
  const report = events.find((e) => e.event === 'report') as unknown as BackupRun['report'];
  return { ...res, events, report };
}

export interface ManifestRecord {
  kind: string;
  id: string;
  name: string;
  status: string;
  reason?: string;
  size?: number;
  fields: Record<string, any>;
  refs: Array<{ kind: string; id: string; name?: string; field: string }>;
  data?: Array<{ stream: string; size: number; sha256: string; cloudChecksum?: string }>;
}

export interface ShowJson {
  snapshot: { id: string; tags: Record<string, string>; stats: { bytesRead: number; bytesNew: number; bytesStored: number }; parent?: string };
  project: { id: string; name: string };
  resources: ManifestRecord[];
  skippedKinds: Array<{ kind: string; reason: string }>;
}

export async function show(repo: string, snapshot: string, extra: string[] = []): Promise<ShowJson> {
  const res = await permafrost(['show', snapshot, '--repo', repo, '--json', ...extra], ENV);
  if (res.code !== 0) throw new Error(`permafrost show failed (${res.code}): ${res.stderr}`);
  return JSON.parse(res.stdout) as ShowJson;
}

/** `permafrost restore-file SNAPSHOT:STREAM -o FILE`; returns the file's sha256. */
/**
 * Restores one stream into `file` and returns its plain SHA-256, or — given the digest the manifest
 * recorded (`like`) — its digest in the same algorithm (fixed-chunker streams record the sha256-b4k
 * block tree), computed independently from the restored file.
 */
export async function restoreFile(repo: string, snapshot: string, stream: string, file: string, like?: string): Promise<string> {
  const res = await permafrost(['restore-file', `${snapshot}:${stream}`, '--repo', repo, '-o', file], ENV);
  if (res.code !== 0) throw new Error(`restore-file ${stream} failed (${res.code}): ${res.stderr}`);
  return like === undefined ? sha256File(file) : fileDigestLike(file, like);
}

/** The digest of `file` in the algorithm of the recorded digest `like` (plain SHA-256 or the sha256-b4k block tree), as manifests write it. */
export async function fileDigestLike(file: string, like: string): Promise<string> {
  const digest = createStreamDigest(digestAlgOf(like));
  for await (const chunk of createReadStream(file)) digest.update(chunk as Buffer);
  return digest.digest();
}

export async function sha256File(file: string, opts: { start?: number; end?: number } = {}): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, opts)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A token and the Swift account URL of a cloud, from the openstack CLI (independent of permafrost). */
export async function swiftAccess(cloud: string): Promise<{ token: string; url: string }> {
  const tok = await osJson<{ id: string; project_id: string }>(cloud, ['token', 'issue']);
  return { token: tok.id, url: `http://127.0.0.1:8080/v1/AUTH_${tok.project_id}` };
}

/**
 * Raw GET of an object as Swift serves it (`multipart-manifest=get` keeps manifests as stored).
 * node:http, not fetch: fetch would gunzip an object stored with `Content-Encoding: gzip`.
 */
export function swiftGet(access: { token: string; url: string }, container: string, name: string, manifestRaw = true): Promise<Buffer> {
  return swiftGetQuery(access, container, name, manifestRaw ? '?multipart-manifest=get' : '');
}

/** Raw GET of one object version as Swift serves it. */
export function swiftGetVersion(access: { token: string; url: string }, container: string, name: string, versionId: string): Promise<Buffer> {
  return swiftGetQuery(access, container, name, `?version-id=${encodeURIComponent(versionId)}`);
}

function swiftGetQuery(access: { token: string; url: string }, container: string, name: string, query: string): Promise<Buffer> {
  const p = `${encodeURIComponent(container)}/${name.split('/').map(encodeURIComponent).join('/')}`;
  return new Promise((resolve, reject) => {
    http
      .get(`${access.url}/${p}${query}`, { headers: { 'X-Auth-Token': access.token } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (res.statusCode && res.statusCode < 300 ? resolve(Buffer.concat(chunks)) : reject(new Error(`GET ${container}/${name}${query}: HTTP ${res.statusCode}`))));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The demo project as its member, and what the demo suites leave out of its backups. */
export const DEMO_CLOUD = 'devcloud-demo';
// other suites create and delete their own `pf-test-*` resources in demo meanwhile: left out
// (so the figures and checks concern the seeded project, and exclusion is exercised on the way)
export const EXCLUDE_OTHERS = ['volume', 'volume_snapshot', 'server', 'image', 'container', 'port', 'network', 'security_group'].flatMap((k) => ['--exclude', `${k}:pf-test-*`]);
/** What test/cloud/seed-demo.sh and seed-extra.sh create in the demo project (kind, name). */
export const DEMO_SEEDED: Array<[string, string]> = [
  ['project', 'demo'], ['user', 'demo'], ['application_credential', 'demo-appcred'],
  ['network', 'demo-net'], ['network', 'demo-net2'], ['subnet', 'demo-subnet'], ['subnet', 'demo-subnet-pool'], ['subnet', 'demo-subnet-v6'],
  ['subnet_pool', 'demo-pool'], ['router', 'demo-router'], ['security_group', 'demo-sg'], ['port', 'demo-port-extra'],
  ['image', 'demo-image'], ['image', 'demo-image-shared'], ['volume', 'demo-vol-blank'], ['volume', 'demo-vol-from-image'],
  ['volume_snapshot', 'demo-vol-blank-snap'], ['server', 'demo-server'], ['server', 'demo-server-ud'], ['keypair', 'demo-key'],
  ['server_group', 'demo-group-aa'], ['flavor', 'm1.demo-private'],
  ['container', 'demo-container'], ['container', 'demo-public'], ['container', 'demo-segments'], ['container', 'demo-versioned'],
];

/**
 * A fresh repository (`pf-test-<suite>`) and a first backup of the demo project into it (other
 * suites' resources excluded, `extra` options added); throws with the failures unless it exits 0.
 */
export async function demoBackup(suite: string, extra: string[] = []): Promise<{ repo: string; work: string; run: BackupRun; snap: ShowJson }> {
  const repo = await freshRepository(suite);
  const run = await backup(repo, ['--os-cloud', DEMO_CLOUD, ...extra, ...EXCLUDE_OTHERS]);
  if (run.code !== 0) throw new Error(`backup exited ${run.code}: ${run.stderr}\n${JSON.stringify(run.report?.projects[0]?.failures)}`);
  return { repo, work: path.dirname(repo), run, snap: await show(repo, run.report!.projects[0]!.snapshot!) };
}

/** The one record of `kind` named `name` in a snapshot (fails the test unless there is exactly one). */
export function findOne(s: ShowJson, kind: string, name: string): ManifestRecord {
  const found = s.resources.filter((r) => r.kind === kind && r.name === name);
  expect(found, `${kind} ${name} in the snapshot`).toHaveLength(1);
  return found[0]!;
}

/**
 * Names of the permafrost temporaries left in a project (volumes, snapshots, images) — of the
 * given backup runs only: other suites run backups of the same project at the same time, and
 * their live temporaries are none of this suite's business.
 */
export async function leftoverTemporaries(cloud: string, backupIds: string[]): Promise<string[]> {
  const mine = backupIds.map((id) => `permafrost-backup-${id}-`);
  return (await allTemporaries(cloud)).filter((n) => mine.some((p) => n.startsWith(p)));
}

/** The backup IDs a `--json-events` run announced (`project-start` events). */
export function backupIdsOf(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.includes('"project-start"'))
    .map((l) => (JSON.parse(l) as { backupId: string }).backupId);
}

async function allTemporaries(cloud: string): Promise<string[]> {
  const [vols, snaps, images] = await Promise.all([
    osJson(cloud, ['volume', 'list']),
    osJson(cloud, ['volume', 'snapshot', 'list']),
    osJson(cloud, ['image', 'list']),
  ]);
  return [...vols, ...snaps, ...images].map((r) => String(r.Name ?? r.name ?? '')).filter((n) => n.startsWith('permafrost-backup-'));
}

/** Seeded checksums: `<state>/seed/manifest.txt` lines like `image demo-image sha256 <hex> size <n>`. */
export function seedChecksum(manifest: string, kind: string, name: string, key: string): string | undefined {
  for (const line of manifest.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts[0] === kind && parts[1] === name) {
      const i = parts.indexOf(key);
      if (i > 0) return parts[i + 1];
    }
  }
  return undefined;
}
