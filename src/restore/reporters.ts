// Renderers of restore events: a progress bar on a terminal (steps done of all, bytes uploaded),
// one JSON object per line with --json, plain lines on stderr otherwise.
import cliProgress from 'cli-progress';
import { formatBytes } from '../backup/format.js';
import type { RestoreEvent, RestoreReporter } from './events.js';

export class JsonLinesRestoreReporter implements RestoreReporter {
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}
  emit(event: RestoreEvent): void {
    this.write(event);
  }
  write(obj: object): void {
    this.out.write(`${JSON.stringify({ time: new Date().toISOString(), ...obj })}\n`);
  }
  close(): void {}
}

export class PlainRestoreReporter implements RestoreReporter {
  constructor(private readonly out: NodeJS.WritableStream = process.stderr) {}
  emit(event: RestoreEvent): void {
    const line = describe(event);
    if (line) this.out.write(`${line}\n`);
  }
  close(): void {}
}

export class TtyRestoreReporter implements RestoreReporter {
  private readonly bar = new cliProgress.SingleBar(
    { format: 'restore [{bar}] {value}/{total} steps | wave {wave} | {bytes} uploaded | {current}', hideCursor: true, clearOnComplete: false, stopOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  private started = false;
  private done = 0;
  private wave = 0;
  private bytes = 0;
  private current = '';

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  emit(event: RestoreEvent): void {
    switch (event.event) {
      case 'apply-start':
        this.bar.start(event.steps, 0, this.payload());
        this.started = true;
        return;
      case 'wave-start':
        this.wave = event.wave;
        break;
      case 'step-start':
        this.current = `${event.action} ${event.kind} ${event.name}`.slice(0, 60);
        break;
      case 'step-done':
      case 'step-failed':
      case 'step-blocked':
      case 'step-not-restorable':
        this.done += 1;
        if (event.event !== 'step-done') this.log(describe(event));
        break;
      case 'bytes':
        this.bytes = event.total;
        break;
      case 'apply-done':
        if (this.started) this.bar.stop();
        this.started = false;
        this.out.write(`${describe(event)}\n`);
        return;
      default: {
        const line = describe(event);
        if (line) this.log(line);
        return;
      }
    }
    if (this.started) this.bar.update(this.done, this.payload());
  }

  private payload() {
    return { wave: this.wave, bytes: formatBytes(this.bytes), current: this.current };
  }

  private log(line: string | undefined): void {
    if (!line) return;
    if (this.started) this.bar.stop();
    this.out.write(`${line}\n`);
    if (this.started) this.bar.start(this.bar.getTotal(), this.done, this.payload());
  }

  close(): void {
    if (this.started) this.bar.stop();
  }
}

function describe(event: RestoreEvent): string | undefined {
  switch (event.event) {
    case 'apply-start':
      return `restore ${event.restoreId}: ${event.steps} steps in ${event.waves} waves${event.resumed ? ' (resuming an earlier run)' : ''}`;
    case 'project':
      return `target project ${event.name} (${event.projectId}) ${event.action}`;
    case 'wave-start':
      return `wave ${event.wave}: ${event.steps} steps`;
    case 'step-done':
      return `  ${event.outcome.padEnd(12)} ${event.stepId}${event.targetId ? ` → ${event.targetId}` : ''}${event.notes ? `\n${event.notes.map((n) => `      note: ${n}`).join('\n')}` : ''}`;
    case 'step-failed':
      return `  FAILED       ${event.stepId}: ${event.error}`;
    case 'step-blocked':
      return `  blocked      ${event.stepId} (waits for ${event.blockedBy.join(', ')})`;
    case 'step-not-restorable':
      return `  not restorable ${event.stepId}: ${event.reason}`;
    case 'finish':
      return event.error ? `  state of ${event.stepId} not restored: ${event.error}` : undefined;
    case 'markers-removed':
      return event.failed.length === 0 ? `restore markers removed from ${event.resources} resource(s)` : `restore markers removed from ${event.resources} resource(s); not from ${event.failed.length}: ${event.failed.join('; ')} (run apply again to retry)`;
    case 'apply-done':
      return `apply finished in ${event.seconds}s: ${Object.entries(event.counts).map(([k, v]) => `${v} ${k}`).join(', ')}`;
    case 'rollback-step':
      return `  rollback ${event.result.padEnd(8)} ${event.stepId} ${event.targetId}${event.error ? `: ${event.error}` : ''}`;
    case 'rollback-done':
      return `rollback: ${event.deleted} deleted, ${event.failed} failed`;
    default:
      return undefined;
  }
}

export type AnyRestoreReporter = RestoreReporter & { close(): void };

export function chooseRestoreReporter(opts: { json: boolean }): AnyRestoreReporter {
  if (opts.json) return new JsonLinesRestoreReporter();
  if (process.stderr.isTTY) return new TtyRestoreReporter();
  return new PlainRestoreReporter();
}
