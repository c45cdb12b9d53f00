// `--json` on a command that has an event stream (backup, restore apply): the events are dropped
// and only the final report is printed, as one JSON document on stdout. The command's JSON-lines
// reporter writes into this stream, so the event and document forms cannot drift apart.
import { Writable } from 'node:stream';

export function reportDocumentStream(out: NodeJS.WritableStream = process.stdout): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      pending += chunk.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const obj = JSON.parse(line) as Record<string, unknown>;
        if (obj.event !== 'report') continue;
        const { event: _event, time: _time, ...report } = obj;
        out.write(`${JSON.stringify(report, null, 2)}\n`);
      }
      done();
    },
  });
}
