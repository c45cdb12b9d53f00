// `permafrost show`: a project snapshot's manifest as a tree a person can read — services, then
// resources, with dependants nested under what they belong to (subnets and ports under their
// network, rules under their security group, objects under their container, snapshots under
// their volume), status, sizes and data streams.
import type { ResourceKind } from '../model/kinds.js';
import type { ResourceRecord } from '../model/resource.js';
import type { SnapshotInfo } from '../repository/types.js';
import { formatBytes } from './format.js';
import type { BackupManifest } from './manifest.js';
import { digestAlgOf, digestHex } from '../../streams/stream-digest.js';

/** Kinds shown under a resource of another kind they reference. */
const NEST_UNDER: Partial<Record<ResourceKind, ResourceKind>> = {
  subnet: 'network',
  port: 'network',
  security_group_rule: 'security_group',
  object: 'container',
  volume_snapshot: 'volume',
  role_assignment: 'project',
};

const SERVICE_OF_KIND: Record<string, string> = {
  project: 'identity', user: 'identity', group: 'identity', role: 'identity', role_assignment: 'identity', application_credential: 'identity',
  network: 'networks', subnet: 'networks', subnet_pool: 'networks', port: 'networks', router: 'networks', security_group: 'networks',
  security_group_rule: 'networks', floating_ip: 'networks', qos_policy: 'networks',
  image: 'images', volume: 'volumes', volume_snapshot: 'volumes', volume_type: 'volumes',
  server: 'compute', flavor: 'compute', keypair: 'compute', server_group: 'compute',
  container: 'objects', object: 'objects',
};
const SERVICE_ORDER = ['identity', 'networks', 'images', 'volumes', 'compute', 'objects'];

export function renderTree(info: SnapshotInfo, manifest: BackupManifest, kinds?: string[]): string {
  const out: string[] = [];
  out.push(`snapshot ${info.id}  ${info.time.slice(0, 19).replace('T', ' ')} UTC`);
  out.push(`project ${manifest.project.name} (${manifest.project.id})  cloud ${manifest.cloud}${manifest.region ? `/${manifest.region}` : ''}  backup ${manifest.backupId}`);
  out.push(`read as user ${manifest.actor.userId} with roles ${manifest.actor.roles.join(', ') || '(none)'}`);
  const records = kinds && kinds.length > 0 ? manifest.resources.filter((r) => kinds.includes(r.kind)) : manifest.resources;
  const byKey = new Map(records.map((r) => [`${r.kind}/${r.id}`, r]));
  const children = new Map<string, ResourceRecord[]>();
  const roots: ResourceRecord[] = [];
  for (const r of records) {
    const parentKind = NEST_UNDER[r.kind];
    const ref = parentKind ? r.refs.find((x) => x.kind === parentKind && !/remote/.test(x.field) && byKey.has(`${x.kind}/${x.id}`)) : undefined;
    if (ref) {
      const key = `${ref.kind}/${ref.id}`;
      children.set(key, [...(children.get(key) ?? []), r]);
    } else roots.push(r);
  }
  const services = [...new Set(roots.map((r) => SERVICE_OF_KIND[r.kind] ?? 'other'))].sort(
    (a, b) => rank(a) - rank(b) || a.localeCompare(b),
  );
  for (const svc of services) {
    const outcome = manifest.services.find((s) => s.name === svc);
    out.push('');
    out.push(`${svc}${outcome && outcome.status !== 'ok' ? `  (${outcome.status}${outcome.reason ? `: ${outcome.reason}` : ''})` : ''}`);
    for (const line of factLines(outcome?.facts)) out.push(`  · ${line}`);
    const mine = roots.filter((r) => (SERVICE_OF_KIND[r.kind] ?? 'other') === svc).sort(byKindName);
    mine.forEach((r, i) => renderNode(out, r, children, '  ', i === mine.length - 1));
  }
  const skipped = manifest.skippedKinds.filter((k) => !kinds || kinds.length === 0 || kinds.includes(k.kind));
  if (skipped.length > 0) {
    out.push('');
    out.push('not exported (kinds):');
    for (const k of skipped) out.push(`  ${k.kind}: ${k.reason}`);
  }
  for (const k of manifest.failedKinds) out.push(`  FAILED kind ${k.kind}: ${k.reason}`);
  const counts = { ok: 0, skipped: 0, failed: 0 };
  for (const r of records) counts[r.status]++;
  out.push('');
  out.push(`${records.length} resources: ${counts.ok} ok, ${counts.skipped} skipped, ${counts.failed} failed; ${info.streams.length} data streams`);
  return `${out.join('\n')}\n`;
}

function rank(service: string): number {
  const i = SERVICE_ORDER.indexOf(service);
  return i < 0 ? SERVICE_ORDER.length : i;
}

function byKindName(a: ResourceRecord, b: ResourceRecord): number {
  return a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}

function renderNode(out: string[], r: ResourceRecord, children: Map<string, ResourceRecord[]>, indent: string, last: boolean): void {
  out.push(`${indent}${last ? '└─' : '├─'} ${describe(r)}`);
  const kids = (children.get(`${r.kind}/${r.id}`) ?? []).sort(byKindName);
  const next = `${indent}${last ? '   ' : '│  '}`;
  kids.forEach((k, i) => renderNode(out, k, children, next, i === kids.length - 1));
}

function describe(r: ResourceRecord): string {
  const parts = [`${r.kind} ${r.name || '(no name)'}`];
  if (r.name !== r.id) parts.push(`(${r.id})`);
  if (r.size !== undefined) parts.push(formatBytes(r.size));
  const data = r.data ?? [];
  if (data.length > 3) parts.push(`data: ${data.length} streams (${data[0]!.stream.split('/')[0]}/…) ${formatBytes(data.reduce((a, d) => a + d.size, 0))}`);
  else for (const d of data) parts.push(`data ${d.stream} ${formatBytes(d.size)} ${digestAlgOf(d.sha256)} ${digestHex(d.sha256).slice(0, 12)}…`);
  if (r.status !== 'ok') parts.push(`[${r.status.toUpperCase()}${r.reason ? `: ${r.reason}` : ''}]`);
  return parts.join('  ');
}

/** One line per service fact: the Swift account's metadata, optional network services. */
function factLines(facts: Record<string, unknown> | undefined): string[] {
  if (!facts) return [];
  const lines: string[] = [];
  for (const [key, value] of Object.entries(facts)) {
    if (key === 'optionalServices' && value && typeof value === 'object') {
      for (const [name, f] of Object.entries(value as Record<string, { present?: boolean; detail?: string }>)) lines.push(`${name}: ${f.detail ?? (f.present ? 'present' : 'absent')}`);
    } else if (key === 'account' && value && typeof value === 'object') {
      const a = value as { metadata?: Record<string, string>; quotaBytes?: number; error?: string };
      if (a.error) lines.push(`account: ${a.error}`);
      else lines.push(`account metadata: ${Object.entries(a.metadata ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || '(none)'}${a.quotaBytes !== undefined ? `, quota ${formatBytes(a.quotaBytes)}` : ''}`);
    } else lines.push(`${key}: ${JSON.stringify(value)}`);
  }
  return lines;
}
