// Stopping worker threads at the end of a command. The promise of worker.terminate() does not
// hold the event loop open by itself: when nothing else was pending (after a backup that failed on
// its first read) the process sometimes ended with that await unsettled — exit code 13 instead of
// the command's own, 3 runs in 40 to 100. A timer holds the loop until the worker has stopped.
import type { Worker } from 'node:worker_threads';

export async function stopWorker(w: Worker): Promise<void> {
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    await w.terminate();
  } finally {
    clearInterval(keepAlive);
  }
}
