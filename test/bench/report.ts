// Turns the rounds into medians, a table, permafrost's ratio to each peer, and the targets
// with PASS/FAIL.
import { RESTORE_CASES, type CaseName, type CaseResult } from './round.js';

const MiB = 2 ** 20;

export interface Summary {
  tool: string;
  case: CaseName;
  rounds: number;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  storedBytes: number;
  /** Restore: every round byte-identical. */
  identical?: boolean;
  allocatedBytes?: number;
  sourceAllocatedBytes?: number;
}

export interface TargetResult {
  target: string;
  measured: string;
  pass: boolean;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function summarise(results: CaseResult[]): Summary[] {
  const groups = new Map<string, CaseResult[]>();
  for (const r of results) {
    const k = `${r.tool}\0${r.case}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((rs) => ({
    tool: rs[0].tool,
    case: rs[0].case,
    rounds: rs.length,
    wallSeconds: median(rs.map((r) => r.wallSeconds)),
    cpuSeconds: median(rs.map((r) => r.cpuSeconds)),
    peakRssMiB: median(rs.map((r) => r.peakRssMiB)),
    storedBytes: median(rs.map((r) => r.storedBytes)),
    ...(RESTORE_CASES.includes(rs[0].case)
      ? {
          identical: rs.every((r) => r.identical),
          allocatedBytes: median(rs.map((r) => r.allocatedBytes ?? 0)),
          sourceAllocatedBytes: median(rs.map((r) => r.sourceAllocatedBytes ?? 0)),
        }
      : {}),
  }));
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

export function formatTable(summaries: Summary[], imageBytes: number): string {
  const head = ['case', 'tool', 'wall s', 'MiB/s', 'CPU s', 'peak RSS MiB', 'stored MiB', 'note'];
  const rows = summaries.map((s) => [
    s.case,
    s.tool,
    s.wallSeconds.toFixed(2),
    RESTORE_CASES.includes(s.case) || s.case === 'full' ? (imageBytes / MiB / s.wallSeconds).toFixed(0) : '',
    s.cpuSeconds.toFixed(2),
    s.peakRssMiB.toFixed(0),
    RESTORE_CASES.includes(s.case) ? '' : (s.storedBytes / MiB).toFixed(1),
    RESTORE_CASES.includes(s.case) ? `${s.identical ? 'identical' : 'DIFFERS'}, ${((s.allocatedBytes ?? 0) / MiB).toFixed(0)} MiB allocated` : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => pad(c, widths[i], i >= 2 && i <= 6)).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function get(s: Summary[], tool: string, c: CaseName): Summary | undefined {
  return s.find((x) => x.tool === tool && x.case === c);
}

export interface PeerRatio {
  peer: string;
  case: CaseName;
  wall: number;
  cpu: number;
  rss: number;
  /** Backups only (a restore stores nothing). */
  stored?: number;
}

/** permafrost's median divided by each peer's, for every case both took part in. */
export function peerRatios(s: Summary[]): PeerRatio[] {
  const out: PeerRatio[] = [];
  for (const peer of ['restic', 'borg-zstd', 'borg-lz4']) {
    for (const c of ['full', 'incremental', 'restore', 'insertion', 'restore-cdc'] as CaseName[]) {
      const p = get(s, 'permafrost', c);
      const q = get(s, peer, c);
      if (!p || !q) continue;
      const stored = !RESTORE_CASES.includes(c) && q.storedBytes > 0 ? p.storedBytes / q.storedBytes : undefined;
      out.push({ peer, case: c, wall: p.wallSeconds / q.wallSeconds, cpu: p.cpuSeconds / q.cpuSeconds, rss: p.peakRssMiB / q.peakRssMiB, stored });
    }
  }
  return out;
}

export function formatRatios(s: Summary[]): string {
  return peerRatios(s)
    .map((r) => {
      const parts = [`wall ${r.wall.toFixed(2)}×`, `CPU ${r.cpu.toFixed(2)}×`, `RSS ${r.rss.toFixed(2)}×`];
      if (r.stored !== undefined) parts.push(`stored ${r.stored.toFixed(3)}×`);
      return `permafrost / ${r.peer} ${r.case}: ${parts.join(', ')}`;
    })
    .join('\n');
}

/** The targets of issue 3 §4 (ratios of medians within this run). */
export function evaluateTargets(s: Summary[], zeroBytes: number, imageBytes: number): TargetResult[] {
  const out: TargetResult[] = [];
  const ratio = (t: string, c: CaseName, peer: string, field: 'wallSeconds' | 'storedBytes', limit: number): void => {
    const p = get(s, 'permafrost', c);
    const q = get(s, peer, c);
    if (!p || !q) return;
    const r = p[field] / q[field];
    out.push({ target: `${t} ≤ ${limit} × ${peer}'s`, measured: `${r.toFixed(3)}×`, pass: r <= limit });
  };
  ratio('full backup wall time', 'full', 'restic', 'wallSeconds', 0.35);
  ratio('full backup wall time', 'full', 'borg-lz4', 'wallSeconds', 1.0);
  ratio('day-2 incremental stored bytes', 'incremental', 'restic', 'storedBytes', 0.1);
  ratio('day-2 incremental wall time', 'incremental', 'restic', 'wallSeconds', 0.5);
  ratio('insertion (CDC) stored bytes', 'insertion', 'restic', 'storedBytes', 2);
  ratio('restore wall time', 'restore', 'restic', 'wallSeconds', 0.6);
  const restore = get(s, 'permafrost', 'restore');
  if (restore) {
    out.push({ target: 'restore output byte-identical (sha256)', measured: restore.identical ? 'identical' : 'differs', pass: !!restore.identical });
    // Holes: the restored file may allocate no more than the (sparse) source image does, give or
    // take 5 % of the zero extents (file-system allocation granularity at extent edges).
    const source = restore.sourceAllocatedBytes ?? imageBytes - zeroBytes;
    const allowed = source + zeroBytes * 0.05;
    out.push({
      target: 'restore writes zero extents as holes',
      measured: `${((restore.allocatedBytes ?? 0) / MiB).toFixed(0)} MiB allocated; source image ${(source / MiB).toFixed(0)} MiB of ${(imageBytes / MiB).toFixed(0)} MiB (${(zeroBytes / MiB).toFixed(0)} MiB zero extents)`,
      pass: (restore.allocatedBytes ?? Infinity) <= allowed,
    });
  }
  const cdcRestore = get(s, 'permafrost', 'restore-cdc');
  if (cdcRestore) {
    out.push({ target: 'restore of the CDC (insertion) snapshot byte-identical (sha256)', measured: cdcRestore.identical ? 'identical' : 'differs', pass: !!cdcRestore.identical });
  }
  const pf = s.filter((x) => x.tool === 'permafrost');
  if (pf.length) {
    const worst = Math.max(...pf.map((x) => x.peakRssMiB));
    out.push({ target: 'peak RSS ≤ 160 MiB in every case', measured: `${worst.toFixed(0)} MiB (worst case)`, pass: worst <= 160 });
  }
  return out;
}

export function formatTargets(t: TargetResult[]): string {
  return t.map((x) => `${x.pass ? 'PASS' : 'FAIL'}  ${x.target}: ${x.measured}`).join('\n');
}
