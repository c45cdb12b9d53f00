// The deploy/ examples (Kubernetes CronJobs, systemd units) must stay runnable: every permafrost
// invocation in them names a real command with options that command accepts, the CronJobs never
// overlap and run as non-root, and the timers catch up a missed night.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { buildProgram } from '../../src/cli/main.js';
import { ROOT } from './cli-repo-helpers.js';

const DEPLOY = path.join(ROOT, 'deploy');
let program: Command;
beforeAll(async () => {
  program = await buildProgram();
}, 120_000);

/** Every `permafrost …` command line in a text (shell continuation and YAML folding undone). */
function invocations(text: string): string[][] {
  const flat = text.replace(/\\\n/g, ' ').replace(/\n\s+/g, ' ');
  return [...flat.matchAll(/(?:^|[\s;&|=(])(?:\/usr\/bin\/)?permafrost ((?:[^;&|\n]|&(?!&))+)/g)].map((m) => m[1]!.trim().split(/\s+/));
}

function checkInvocation(words: string[], where: string): void {
  let cmd = program;
  let i = 0;
  for (; i < words.length && !words[i]!.startsWith('-'); i++) {
    const sub = cmd.commands.find((c) => c.name() === words[i]);
    if (!sub) break;
    cmd = sub;
  }
  expect(cmd, `${where}: "${words.join(' ')}" names a command`).not.toBe(program);
  const known = new Set([...cmd.options, ...program.options].map((o) => o.long));
  for (const w of words.slice(i)) if (w.startsWith('--')) expect(known.has(w.split('=')[0]), `${where}: ${cmd.name()} accepts ${w}`).toBe(true);
}

describe('deploy/ examples', () => {
  it('the Kubernetes CronJobs never overlap, run as non-root, and run backup then forget with valid options', () => {
    const dir = path.join(DEPLOY, 'kubernetes');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.sort()).toEqual(['admin-nightly-cronjob.yaml', 'tenant-nightly-cronjob.yaml']);
    for (const f of files) {
      const text = readFileSync(path.join(dir, f), 'utf8');
      const doc = parse(text) as any;
      expect(doc.kind).toBe('CronJob');
      expect(doc.spec.concurrencyPolicy).toBe('Forbid');
      const pod = doc.spec.jobTemplate.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      const script = pod.containers[0].args.join(' ') as string;
      const runs = invocations(script);
      expect(runs.map((r) => r[0])).toEqual(['backup', 'forget']);
      for (const r of runs) checkInvocation(r, f);
      expect(script).toMatch(/--keep-daily 7 --keep-weekly 4 --keep-monthly 12/);
    }
  });

  it('the systemd services run backup then forget with valid options; the timers are persistent', () => {
    const dir = path.join(DEPLOY, 'systemd');
    for (const who of ['tenant', 'admin']) {
      const service = readFileSync(path.join(dir, `permafrost-${who}-backup.service`), 'utf8');
      const exec = [...service.matchAll(/^ExecStart=(.+)$/gm)].map((m) => m[1]!);
      expect(exec.length).toBe(2);
      const runs = exec.flatMap(invocations);
      expect(runs.map((r) => r[0])).toEqual(['backup', 'forget']);
      for (const r of runs) checkInvocation(r, `${who} service`);
      expect(service).toMatch(/^Type=oneshot$/m);
      expect(service).toMatch(/^User=permafrost$/m);
      const timer = readFileSync(path.join(dir, `permafrost-${who}-backup.timer`), 'utf8');
      expect(timer).toMatch(/^OnCalendar=\*-\*-\* \d\d:\d\d:00$/m);
      expect(timer).toMatch(/^Persistent=true$/m);
    }
  });
});
