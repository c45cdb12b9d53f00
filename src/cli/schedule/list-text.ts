// `schedule list` as text: one block per schedule with its next run, last run and missed runs.
import type { RunRecord } from '../../schedule/run-records.js';
import type { ScheduleStatus } from '../../schedule/status.js';
import type { ScheduleSpec } from '../../schedule/spec.js';

function policyText(spec: ScheduleSpec): string {
  const r = spec.retention;
  const parts = (['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const).filter((k) => r[k] !== undefined).map((k) => `${k} ${r[k]}`);
  if (r.within !== undefined) parts.push(`within ${r.within}`);
  return `keep ${parts.join(', ')}${spec.prune ? ', then prune' : ''}`;
}

export function runText(r: RunRecord): string {
  const when = new Date(r.dueAt).toISOString();
  const head = `${when} ${r.trigger === 'manual' ? '(run now) ' : ''}${r.status}`;
  const details: string[] = [];
  if (r.snapshots && r.snapshots.length > 0) details.push(`snapshots ${r.snapshots.map((s) => s.slice(0, 8)).join(', ')}`);
  if (r.retention) details.push(`retention kept ${r.retention.kept}, removed ${r.retention.removed}`);
  if (r.attempts > 1) details.push(`taken over (attempt ${r.attempts})`);
  if (r.workerId) details.push(`worker ${r.workerId}`);
  if (r.reason) details.push(r.reason);
  return details.length > 0 ? `${head}: ${details.join('; ')}` : head;
}

export function scheduleText(spec: ScheduleSpec, status: ScheduleStatus): string {
  const what = spec.allProjects ? 'all projects' : spec.projects.length > 0 ? `project ${spec.projects.join(', ')}` : "the cloud's project";
  const lines = [
    `${spec.name}: cron "${spec.cron}" (${status.tz}), ${what} of ${spec.cloud.osCloud ?? '$OS_CLOUD'} into ${spec.repo}; ${policyText(spec)}`,
    `  next run:    ${status.next ?? '-'}`,
    `  last run:    ${status.lastRun ? runText(status.lastRun) : '-'}`,
  ];
  if (status.missed.length > 0) lines.push(`  missed:      ${status.missed.length} (${status.missed.slice(0, 3).join(', ')}${status.missed.length > 3 ? ', …' : ''}): no worker was up`);
  return `${lines.join('\n')}\n`;
}
