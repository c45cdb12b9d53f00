import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { JsonLinesReporter } from '../../src/backup/reporters.js';
import { reportDocumentStream } from '../../src/cli/report-document.js';

describe('--json on a command with an event stream', () => {
  it('prints only the report, as one JSON document without event and time', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const reporter = new JsonLinesReporter(reportDocumentStream(out));
    reporter.emit({ event: 'project-start', projectId: 'p', projectName: 'n', backupId: 'b' });
    reporter.begin('volume', 'v1', 'data');
    reporter.write({ event: 'report', exitCode: 0, projects: [{ project: { id: 'p' }, status: 'ok' }] });
    await new Promise((r) => setImmediate(r));
    expect(JSON.parse(text)).toEqual({ exitCode: 0, projects: [{ project: { id: 'p' }, status: 'ok' }] });
    expect(text.split('\n').length).toBeGreaterThan(3); // pretty-printed: one document, not a line of a stream
  });
});
