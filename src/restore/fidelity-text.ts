// The fidelity report as a person reads it: a verdict per restored resource, every difference
// with expected and actual value, mapped fields with their new values, data hashes, and what
// could not be restored as it was.
import type { FidelityResult } from './fidelity-report.js';

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

export function fidelityText(result: FidelityResult, opts: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  lines.push(`fidelity: ${result.identical} identical, ${result.different} with differences, ${result.missing} missing; data: ${result.data.equal}/${result.data.checked} equal by sha256${result.data.notChecked ? `, ${result.data.notChecked} not checked` : ''}`);
  for (const r of result.resources) {
    if (r.verdict === 'identical' && !opts.verbose) continue;
    lines.push(`  ${r.verdict.toUpperCase().padEnd(9)} ${r.kind} ${r.name || r.sourceId}${r.targetId ? ` (${r.targetId})` : ''}`);
    for (const d of r.differences) lines.push(`      differs ${d.path}: expected ${show(d.expected)}, found ${show(d.actual)}`);
    for (const d of r.data) if (d.verdict === 'different') lines.push(`      data ${d.stream}: sha256 ${d.actual} ≠ backup ${d.expected}`);
    if (opts.verbose) for (const m of r.mapped) lines.push(`      mapped  ${m.path}: ${show(m.from)} → ${show(m.to)}`);
  }
  if (result.notRestorable.length > 0) {
    lines.push('not restored as it was:');
    for (const n of result.notRestorable) lines.push(`  ${n.stepId}: ${n.reason}`);
  }
  for (const f of result.dataFailures) lines.push(`  data of ${f.kind} ${f.id} not checked: ${f.error}`);
  return `${lines.join('\n')}\n`;
}
