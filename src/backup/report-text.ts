// The final report of `permafrost backup` for a person: per project the snapshot, per service
// the resources by status and their data, the byte figures (read / new / stored) and every
// failure with its cause.
import type { BackupRunResult } from './run-backup.js';
import { formatBytes } from './format.js';

export function backupReportText(result: BackupRunResult): string {
  const lines: string[] = [];
  for (const p of result.projects) {
    lines.push(`project ${p.project.name} (${p.project.id}): ${p.status.toUpperCase()}${p.snapshot ? `, snapshot ${p.snapshot}` : ''}`);
    if (p.error) {
      lines.push(`  error: ${p.error}`);
      continue;
    }
    if (p.crossProject) lines.push(`  note: ${p.crossProject}`);
    lines.push(`  ${'service'.padEnd(10)} ${'ok'.padStart(6)} ${'skipped'.padStart(8)} ${'failed'.padStart(7)} ${'streams'.padStart(8)} ${'data'.padStart(11)}`);
    for (const s of p.services) {
      const note = s.status === 'ok' ? '' : `  (${s.status})`;
      lines.push(
        `  ${s.service.padEnd(10)} ${String(s.ok).padStart(6)} ${String(s.skipped).padStart(8)} ${String(s.failed).padStart(7)} ${String(s.dataStreams).padStart(8)} ${formatBytes(s.dataBytes).padStart(11)}${note}`,
      );
    }
    if (p.stats) {
      lines.push(`  bytes read ${formatBytes(p.stats.bytesRead)}, new ${formatBytes(p.stats.bytesNew)}, stored ${formatBytes(p.stats.bytesStored)} (${p.stats.chunksNew} new chunks, ${p.stats.chunksReused} reused)`);
    }
    for (const k of p.skippedKinds) lines.push(`  skipped kind ${k.kind}: ${k.reason}`);
    for (const f of p.failures) lines.push(`  FAILED ${f.kind} ${f.name} (${f.id}): ${f.reason}`);
    if (p.temporariesLeft > 0) lines.push(`  ${p.temporariesLeft} temporary resources could not be deleted: run "permafrost cleanup"`);
  }
  const failed = result.projects.filter((p) => p.status !== 'ok').length;
  lines.push(failed === 0 ? `backup complete: ${result.projects.length} project(s)` : `backup PARTIAL: ${failed} of ${result.projects.length} project(s) with failures (exit code ${result.exitCode})`);
  return `${lines.join('\n')}\n`;
}
