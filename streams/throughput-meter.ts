// Progress and throughput metering for long commands: a progress bar on a TTY (cli-progress),
// structured JSON events (one per line) for scripts, or nothing.
import cliProgress from 'cli-progress';

export type ProgressMode = 'bar' | 'json' | 'none';

export interface ProgressEvent {
  event: 'progress' | 'done';
  phase: string;
  bytes: number;
  total?: number;
  mibPerSec: number;
  elapsedSec: number;
  [extra: string]: unknown;
}

export class ThroughputMeter {
  private bytes = 0;
  private readonly started = Date.now();
  private lastEmit = 0;
  private bar: cliProgress.SingleBar | undefined;

  constructor(
    private readonly phase: string,
    private readonly mode: ProgressMode,
    private readonly total?: number,
    private readonly out: NodeJS.WritableStream = process.stderr,
    private readonly intervalMs = 1000,
  ) {
    if (mode === 'bar') {
      this.bar = new cliProgress.SingleBar(
        {
          format: `${phase} [{bar}] {percentage}% | {done} MiB${total ? ' / {all} MiB' : ''} | {speed} MiB/s`,
          stream: out as NodeJS.WriteStream,
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total ?? 0, 0, { done: '0', all: total ? (total / 1048576).toFixed(0) : '', speed: '0' });
    }
  }

  get elapsedSec(): number {
    return (Date.now() - this.started) / 1000;
  }

  get mibPerSec(): number {
    return this.bytes / 1048576 / Math.max(this.elapsedSec, 1e-3);
  }

  add(n: number): void {
    this.bytes += n;
    const now = Date.now();
    if (now - this.lastEmit < this.intervalMs) return;
    this.lastEmit = now;
    if (this.bar) {
      this.bar.update(this.total ? this.bytes : 0, { done: (this.bytes / 1048576).toFixed(0), speed: this.mibPerSec.toFixed(0) });
    } else if (this.mode === 'json') {
      this.emit('progress');
    }
  }

  private emit(event: 'progress' | 'done', extra: Record<string, unknown> = {}): void {
    const e: ProgressEvent = {
      event,
      phase: this.phase,
      bytes: this.bytes,
      ...(this.total !== undefined ? { total: this.total } : {}),
      mibPerSec: Number(this.mibPerSec.toFixed(1)),
      elapsedSec: Number(this.elapsedSec.toFixed(3)),
      ...extra,
    };
    this.out.write(`${JSON.stringify(e)}\n`);
  }

  finish(extra: Record<string, unknown> = {}): void {
    if (this.bar) {
      this.bar.update(this.total ?? 0, { done: (this.bytes / 1048576).toFixed(0), speed: this.mibPerSec.toFixed(0) });
      this.bar.stop();
    } else if (this.mode === 'json') {
      this.emit('done', extra);
    }
  }
}

/** Bar on a TTY, JSON with --json, nothing otherwise. */
export function progressMode(opts: { json?: boolean; stream?: NodeJS.WriteStream }): ProgressMode {
  if (opts.json) return 'json';
  return (opts.stream ?? process.stderr).isTTY ? 'bar' : 'none';
}
