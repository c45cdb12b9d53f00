// A download that survives a connection cut in the middle of its body: the bytes already handed
// out are kept, and the rest is asked for again with `Range: bytes=<offset>-`. A server that
// ignores the range (200 with the whole body) is read from the start and the bytes already
// delivered are skipped; one whose entity changed meanwhile (another ETag / Content-MD5) ends the
// download with the original error, since joining two versions would make a wrong copy.
import { PassThrough, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/logger.js';
import { TimeoutError, UnreachableError } from './errors.js';
import { backoffDelay, isRetryableErrorCode, type RetryPolicy } from './retry-policy.js';

type Headers = Record<string, string | string[] | undefined>;

export interface DownloadPart {
  stream: Readable;
  statusCode: number;
  headers: Headers;
}

export interface ResumeOptions {
  /** Asks for the body from `offset` on (a GET with a Range header). */
  reopen: (offset: number) => Promise<DownloadPart>;
  policy: RetryPolicy;
  logger: Logger;
  what: string;
  random?: () => number;
}

/** A cut mid-body that a new request may well get past: reset, premature close, silence. */
export function isResumableFailure(err: unknown): boolean {
  if (err instanceof TimeoutError) return true;
  if (err instanceof UnreachableError) return err.code === undefined || isRetryableErrorCode(err.code);
  return false;
}

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** What identifies the entity served: a resumed part must name the same one. */
function identityOf(headers: Headers): string {
  return `${header(headers, 'etag') ?? ''}|${header(headers, 'content-md5') ?? ''}`;
}

/** Start of a 206 answer's Content-Range (`bytes 100-199/200`), undefined when absent or unparsable. */
function rangeStart(headers: Headers): number | undefined {
  const m = /^bytes (\d+)-/.exec(header(headers, 'content-range') ?? '');
  return m ? Number(m[1]) : undefined;
}

/** The stream of `first`'s body, continued by ranged requests after each resumable cut. */
export function resumableBody(first: DownloadPart, opts: ResumeOptions): Readable {
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  const identity = identityOf(first.headers);
  let current = first.stream;
  out.on('close', () => current.destroy());
  void (async () => {
    let offset = 0;
    let failuresWithoutProgress = 0;
    for (;;) {
      const startedAt = offset;
      try {
        for await (const chunk of current) {
          offset += (chunk as Buffer).length;
          if (!out.write(chunk)) await drained(out);
          if (out.destroyed) return;
        }
        out.end();
        return;
      } catch (err) {
        if (out.destroyed) return;
        failuresWithoutProgress = offset > startedAt ? 1 : failuresWithoutProgress + 1;
        if (!isResumableFailure(err) || failuresWithoutProgress > opts.policy.limit) {
          out.destroy(err as Error);
          return;
        }
        opts.logger.debug({ what: opts.what, offset, attempt: failuresWithoutProgress, err: (err as Error).message }, 'download cut mid-body: resuming with a range request');
        await sleep(backoffDelay(failuresWithoutProgress, opts.policy, opts.random));
        try {
          current = await continuation(await opts.reopen(offset), offset, identity, err);
        } catch (reopenErr) {
          out.destroy(reopenErr as Error);
          return;
        }
        if (out.destroyed) current.destroy();
      }
    }
  })();
  return out;
}

/** The part's body from `offset` on: a matching 206 as is, a 200 with its first `offset` bytes dropped. */
async function continuation(part: DownloadPart, offset: number, identity: string, original: unknown): Promise<Readable> {
  if (identityOf(part.headers) !== identity) {
    part.stream.destroy();
    throw original;
  }
  if (part.statusCode === 206 && rangeStart(part.headers) === offset) return part.stream;
  if (part.statusCode === 200) return skipBytes(part.stream, offset);
  part.stream.destroy();
  throw original;
}

function skipBytes(stream: Readable, count: number): Readable {
  let left = count;
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  stream.on('error', (err) => out.destroy(err));
  out.on('close', () => stream.destroy());
  stream.on('data', (chunk: Buffer) => {
    if (left >= chunk.length) {
      left -= chunk.length;
      return;
    }
    const rest = chunk.subarray(left);
    left = 0;
    if (!out.write(rest)) {
      stream.pause();
      out.once('drain', () => stream.resume());
    }
  });
  stream.on('end', () => out.end());
  return out;
}

function drained(stream: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}
