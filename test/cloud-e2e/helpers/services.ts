// Shared pieces of the service-client suites (test/cloud-e2e/services-*.test.ts): unique names
// for throwaway resources, deterministic data streams and their hashes, cleanup bookkeeping.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export function svcName(what: string): string {
  return `pf-test-svc-${what}-${randomBytes(4).toString('hex')}`;
}

/**
 * A stream of `size` pseudo-random bytes produced chunk by chunk (never held whole in memory),
 * deterministic for a seed, so the sender and the checker agree on the sha256.
 */
export function dataStream(size: number, seed: string, chunkSize = 256 * 1024): Readable {
  let produced = 0;
  let counter = 0;
  return new Readable({
    read() {
      if (produced >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(chunkSize, size - produced);
      const chunk = Buffer.alloc(n);
      // sha256 in counter mode: fast enough (native) and deterministic.
      for (let off = 0; off < n; off += 32) {
        createHash('sha256').update(`${seed}:${counter++}`).digest().copy(chunk, off, 0, Math.min(32, n - off));
      }
      produced += n;
      this.push(chunk);
    },
  });
}

export async function sha256Of(stream: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Cleanup steps run in reverse order; a failing step does not stop the others. */
export class Cleanup {
  private readonly steps: Array<{ what: string; fn: () => Promise<unknown> }> = [];
  add(what: string, fn: () => Promise<unknown>): void {
    this.steps.push({ what, fn });
  }
  async run(): Promise<string[]> {
    const errors: string[] = [];
    for (const step of this.steps.reverse()) {
      try {
        await step.fn();
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        if (status !== 404) errors.push(`${step.what}: ${(err as Error).message}`);
      }
    }
    this.steps.length = 0;
    return errors;
  }
}
