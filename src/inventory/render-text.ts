// Human output of `permafrost inventory`: one table per kind (id, name, size, references), then
// counts per kind, then what was skipped or failed and why.
import type { ResourceRecord, ResourceRef } from '../model/resource.js';
import type { ProjectInventory } from './run-inventory.js';

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** `kind:name` (or `kind:id` when the name is unknown), at most `max`, then `+N more`. */
export function formatRefs(refs: ResourceRef[], max = 6): string {
  const parts = refs.slice(0, max).map((r) => `${r.kind}:${r.name ?? r.id}`);
  if (refs.length > max) parts.push(`+${refs.length - max} more`);
  return parts.join(', ');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ').trimEnd()).join('\n');
}

export function renderInventory(inv: ProjectInventory): string {
  const lines: string[] = [];
  const p = inv.project;
  lines.push(`Project ${p.name} (${p.id})${p.access === 'cross-project' ? ' — listed with admin rights from another project' : ''}`);
  const byKind = new Map<string, ResourceRecord[]>();
  for (const r of inv.resources) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
  for (const [kind, records] of byKind) {
    lines.push('', `${kind} (${records.length})`);
    const rows = [['  ID', 'NAME', 'SIZE', 'REFERENCES']];
    for (const r of records) rows.push([`  ${r.id}`, r.name, formatBytes(r.size), formatRefs(r.refs)]);
    lines.push(table(rows));
  }
  lines.push('', 'Counts');
  const countRows = Object.entries(inv.counts).map(([kind, n]) => [`  ${kind}`, String(n)]);
  if (countRows.length > 0) lines.push(table(countRows));
  if (inv.skipped.length > 0) {
    lines.push('', 'Skipped');
    for (const s of inv.skipped) lines.push(`  ${s.kind}: ${s.reason}`);
  }
  if (inv.failed.length > 0) {
    lines.push('', 'Failed');
    for (const f of inv.failed) lines.push(`  ${f.kind}: ${f.reason}`);
  }
  return lines.join('\n') + '\n';
}
