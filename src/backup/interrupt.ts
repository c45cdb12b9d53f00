// SIGINT/SIGTERM during a backup: the first signal aborts the run cleanly (waits stop, temporaries
// are deleted, the snapshot is dropped); a second one exits at once (temporaries are then left
// for `permafrost cleanup` / the next backup's sweep).
import { setMaxListeners } from 'node:events';
import { ExitCode } from '../errors.js';

export function interruptOnSignals(onFirst: (signal: NodeJS.Signals) => void = () => {}): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  // every wait of every job listens to this one signal
  setMaxListeners(0, controller.signal);
  const handler = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`permafrost: second ${sig}: exiting now; run "permafrost cleanup" to delete leftover temporary resources\n`);
      process.exit(ExitCode.interrupted);
    }
    process.stderr.write(`permafrost: ${sig} received: stopping, deleting temporary resources (send again to exit at once)\n`);
    onFirst(sig);
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
