// A progress bar on stderr for commands with countable work (prune phases, projects of an
// inventory), shown only on a terminal and never with a JSON output on stdout.
import cliProgress from 'cli-progress';

export interface PhaseProgress {
  update(phase: string, done: number, total: number): void;
  stop(): void;
}

const quiet: PhaseProgress = { update: () => undefined, stop: () => undefined };

export function phaseProgress(label: string, opts: { json?: boolean } = {}): PhaseProgress {
  if (opts.json || !process.stderr.isTTY) return quiet;
  const bar = new cliProgress.SingleBar({ format: `${label} [{bar}] {value}/{total} {phase}`, hideCursor: true, clearOnComplete: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(phase, done, total) {
      if (!started) {
        started = true;
        bar.start(total, done, { phase });
      }
      bar.setTotal(total);
      bar.update(done, { phase });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
