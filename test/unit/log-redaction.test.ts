import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { humanLine } from '../../src/log/human-destination.js';
import { redactHeaders, registerSecret, scrubText, scrubValue } from '../../src/log/secrets.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, stream };
}

describe('secret scrubbing', () => {
  it('replaces registered secrets and token patterns in text', () => {
    registerSecret('Pa55-word-xyz');
    expect(scrubText('login with Pa55-word-xyz failed')).toBe('login with *** failed');
    expect(scrubText('token gAAAAABmZ0123456789abcdefghijklmnopqrstuv_-xyz used')).toBe('token *** used');
    expect(scrubText('X-Auth-Token: abcdef123456 next')).toBe('X-Auth-Token: *** next');
    expect(scrubText('{"password": "hunter2", "name": "x"}')).toBe('{"password": "***", "name": "x"}');
    expect(scrubText('{"application_credential_secret":"s3"}')).toBe('{"application_credential_secret":"***"}');
  });
  it('ignores too-short secrets instead of blanking everything', () => {
    registerSecret('ab');
    expect(scrubText('abc ab')).toBe('abc ab');
  });
  it('censors secret keys and headers in objects', () => {
    expect(scrubValue({ auth: { password: 'p', username: 'u' }, token: 't', nested: [{ secret: 's' }] })).toEqual({
      auth: { password: '***', username: 'u' },
      token: '***',
      nested: [{ secret: '***' }],
    });
    expect(redactHeaders({ 'X-Auth-Token': 'abc', 'x-subject-token': 'def', Accept: 'application/json' })).toEqual({
      'X-Auth-Token': '***',
      'x-subject-token': '***',
      Accept: 'application/json',
    });
  });
});

describe('logger', () => {
  it('writes JSON lines with secrets redacted, at debug level only with debug', () => {
    registerSecret('another-Secret-999');
    const { lines, stream } = capture();
    const log = createLogger({ debug: true, destination: stream });
    log.debug({ headers: { 'x-auth-token': 'gAAAAABtokentokentokentokentokentoken' }, auth: { password: 'pw-in-obj' } }, 'call');
    log.debug('message with another-Secret-999 inside');
    log.info({ err: new Error('failed for another-Secret-999') }, 'error');
    const out = lines.join('');
    expect(out).not.toContain('gAAAAAB');
    expect(out).not.toContain('pw-in-obj');
    expect(out).not.toContain('another-Secret-999');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 20, msg: 'call' });

    const quiet = capture();
    const log2 = createLogger({ debug: false, destination: quiet.stream });
    log2.debug('hidden');
    log2.warn('shown');
    expect(quiet.lines).toHaveLength(1);
  });
});

describe('human lines without --debug', () => {
  it('formats a record as one plain line, secrets still scrubbed upstream', () => {
    expect(humanLine('{"level":40,"time":"t","service":"identity","returned":3,"msg":"Keystone truncated the list"}')).toBe(
      'permafrost: warning: Keystone truncated the list (service=identity, returned=3)\n',
    );
    expect(humanLine('{"level":50,"msg":"boom"}')).toBe('permafrost: error: boom\n');
    expect(humanLine('not json')).toBe('not json\n');
  });
});
