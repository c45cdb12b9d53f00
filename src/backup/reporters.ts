// Renderers of backup events: progress bars on a terminal (cli-progress: one bar per resource in
// flight plus a total), one JSON object per line with `--json`, and plain lines otherwise.
import cliProgress from 'cli-progress';
import type { ResourceKind } from '../model/kinds.js';
import type { BackupEvent, BackupReporter } from './events.js';
import { formatBytes } from './format.js';

/** `--json`: every event as one JSON line on `out`; byte progress at most once a second per resource. */
export class JsonLinesReporter implements BackupReporter {
  private readonly counters = new Map<string, { bytes: number; last: number }>();
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}
  begin(kind: ResourceKind, id: string, name: string, expected?: number): void {
    this.counters.set(`${kind}/${id}`, { bytes: 0, last: Date.now() });
    this.write({ event: 'resource-start', kind, id, name, ...(expected !== undefined ? { expectedBytes: expected } : {}) });
  }
  bytes(kind: ResourceKind, id: string, n: number): void {
    const c = this.counters.get(`${kind}/${id}`);
    if (!c) return;
    c.bytes += n;
    if (Date.now() - c.last >= 1000) {
      c.last = Date.now();
      this.write({ event: 'resource-bytes', kind, id, bytes: c.bytes });
    }
  }
  emit(event: BackupEvent): void {
    if (event.event === 'resource-done') this.counters.delete(`${event.kind}/${event.id}`);
    this.write(event);
  }
  close(): void {}
  write(obj: object): void {
    this.out.write(`${JSON.stringify({ time: new Date().toISOString(), ...obj })}\n`);
  }
}

/** Non-interactive, non-JSON: a line per finished resource and per project on stderr. */
export class PlainReporter implements BackupReporter {
  constructor(private readonly out: NodeJS.WritableStream = process.stderr) {}
  begin(): void {}
  bytes(): void {}
  emit(event: BackupEvent): void {
    const line = describe(event);
    if (line) this.out.write(`${line}\n`);
  }
  close(): void {}
}

/** A terminal: a total bar (resources done, bytes) and one bar per resource in flight. */
export class TtyReporter implements BackupReporter {
  private readonly multi = new cliProgress.MultiBar(
    {
      format: ' {bar} {percentage}% | {label} | {done}',
      hideCursor: true,
      clearOnComplete: true,
      stopOnComplete: false,
      fps: 5,
      barsize: 24,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  private readonly bars = new Map<string, { bar: cliProgress.SingleBar; bytes: number; total: number; label: string; step: string }>();
  private readonly total: cliProgress.SingleBar;
  private resourcesDone = 0;
  private bytesDone = 0;

  constructor() {
    this.total = this.multi.create(1, 0, { label: 'total', done: '' });
  }
  begin(kind: ResourceKind, id: string, name: string, expected?: number): void {
    const label = `${kind} ${name || id}`.slice(0, 48).padEnd(48);
    const total = expected && expected > 0 ? expected : 1;
    const bar = this.multi.create(total, 0, { label, done: 'starting' });
    this.bars.set(`${kind}/${id}`, { bar, bytes: 0, total, label, step: 'starting' });
  }
  bytes(kind: ResourceKind, id: string, n: number): void {
    this.bytesDone += n;
    const b = this.bars.get(`${kind}/${id}`);
    if (b) {
      b.bytes += n;
      if (b.bytes > b.total) b.bar.setTotal((b.total = b.bytes));
      b.bar.update(b.bytes, { done: `${b.step} ${formatBytes(b.bytes)}` });
    }
    this.updateTotal();
  }
  emit(event: BackupEvent): void {
    if (event.event === 'resource-step') {
      const b = this.bars.get(`${event.kind}/${event.id}`);
      if (b) {
        b.step = event.step;
        b.bar.update(b.bytes, { done: event.step });
      }
      return;
    }
    if (event.event === 'resource-done') {
      this.resourcesDone++;
      const b = this.bars.get(`${event.kind}/${event.id}`);
      if (b) {
        this.multi.remove(b.bar);
        this.bars.delete(`${event.kind}/${event.id}`);
      }
      if (event.status === 'failed') this.multi.log(`${describe(event)}\n`);
      this.updateTotal();
      return;
    }
    if (event.event === 'data-plan') {
      this.total.setTotal(Math.max(1, event.jobs));
      return;
    }
    const line = describe(event);
    if (line) this.multi.log(`${line}\n`);
  }
  close(): void {
    this.multi.stop();
  }
  private updateTotal(): void {
    this.total.update(this.resourcesDone, { label: 'total'.padEnd(48), done: `${this.resourcesDone} resources, ${formatBytes(this.bytesDone)} read` });
  }
}

function describe(event: BackupEvent): string | undefined {
  switch (event.event) {
    case 'project-start':
      return `backup ${event.backupId} of project ${event.projectName} (${event.projectId})${event.parent ? `, parent snapshot ${event.parent.slice(0, 12)}` : ''}`;
    case 'sweep':
      if (event.registryError) return `warning: ${event.registryError}; a concurrent backup or cleanup on this host may take this run's temporary images for leftovers`;
      if (event.error) return `warning: sweeping leftover temporaries failed: ${event.error}`;
      return event.deleted + event.failed > 0 ? `swept ${event.deleted} leftover temporaries of earlier runs${event.failed ? ` (${event.failed} could not be deleted)` : ''}` : undefined;
    case 'inventory':
      return `inventory: ${Object.entries(event.counts).map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing'}`;
    case 'resource-done':
      if (event.status === 'failed') return `FAILED ${event.kind} ${event.name || event.id} (${event.id}): ${event.reason ?? 'unknown error'}`;
      return event.bytes > 0 ? `${event.kind} ${event.name || event.id}: ${formatBytes(event.bytes)}` : undefined;
    case 'temporaries':
      return event.left.length > 0
        ? `warning: ${event.left.length} temporary resources could not be deleted (run "permafrost cleanup"): ${event.left.map((l) => `${l.kind} ${l.id}: ${l.error}`).join('; ')}`
        : undefined;
    case 'project-done':
      return event.error ? `project ${event.projectName}: FAILED: ${event.error}` : undefined;
    default:
      return undefined;
  }
}

export function chooseReporter(opts: { json: boolean }): BackupReporter {
  if (opts.json) return new JsonLinesReporter();
  if (process.stderr.isTTY) return new TtyReporter();
  return new PlainReporter();
}
