// `permafrost schedule add|list|remove|run|exec`: nightly backups with retention. With a queue
// (--queue or PERMAFROST_QUEUE) schedules are BullMQ job schedulers in Redis run by `permafrost
// worker`; without one, `add --systemd DIR` / `--crontab` write units or a crontab line that
// start `schedule exec`. See docs/schedules.md.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { chooseReporter } from '../../backup/reporters.js';
import { interruptOnSignals } from '../../backup/interrupt.js';
import { queueUrlFrom } from '../../queue/connection.js';
import { readRunRecords } from '../../schedule/run-records.js';
import { runScheduledBackup } from '../../schedule/run-scheduled.js';
import { scheduleStatus } from '../../schedule/status.js';
import { ScheduleStore } from '../../schedule/store.js';
import { recordOf } from '../../schedule/job.js';
import { crontabLine, systemdUnits } from '../../schedule/systemd.js';
import { printJson } from '../repo-access.js';
import { addSpecOptions, execArguments, specFromOptions, type SpecCliOptions } from '../schedule/spec-options.js';
import { runText, scheduleText } from '../schedule/list-text.js';

interface QueueOpts {
  queue?: string;
  json?: boolean;
}

interface AddOpts extends SpecCliOptions, QueueOpts {
  systemd?: string;
  envFile: string;
  crontab?: boolean;
}

const queueOption = ['--queue <url>', 'Redis holding the schedules: redis://HOST:6379/DB (env PERMAFROST_QUEUE)'] as const;

async function withStore<T>(opts: QueueOpts, fn: (store: ScheduleStore) => Promise<T>): Promise<T> {
  const url = queueUrlFrom(opts.queue);
  if (!url) throw new UsageError('no queue given: use --queue redis://HOST:6379/DB or set PERMAFROST_QUEUE');
  const store = await ScheduleStore.open(url);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** The command line that runs this permafrost: node and its entry script, absolute. */
function selfCommand(): string[] {
  return [process.execPath, path.resolve(process.argv[1] ?? 'permafrost')];
}

async function addSchedule(name: string, opts: AddOpts): Promise<void> {
  const spec = specFromOptions(name, opts);
  const withoutQueue = opts.systemd !== undefined || opts.crontab;
  if (withoutQueue && opts.queue) throw new UsageError('--queue and --systemd/--crontab exclude each other: a schedule lives either in Redis or in systemd/cron');
  if (opts.systemd !== undefined) {
    const units = systemdUnits({ name, cron: spec.cron, tz: spec.tz ?? 'UTC', command: [...selfCommand(), ...execArguments(spec)], environmentFile: opts.envFile });
    await mkdir(opts.systemd, { recursive: true });
    for (const unit of [units.service, units.timer]) await writeFile(path.join(opts.systemd, unit.file), unit.text);
    process.stdout.write(`wrote ${path.join(opts.systemd, units.service.file)} and ${units.timer.file}; put PERMAFROST_PASSWORD_FILE=… in ${opts.envFile}, then: systemctl daemon-reload && systemctl enable --now ${units.timer.file}\n`);
    return;
  }
  if (opts.crontab) {
    process.stdout.write(crontabLine({ name, cron: spec.cron, tz: spec.tz ?? 'UTC', command: [...selfCommand(), ...execArguments(spec)] }));
    return;
  }
  if (!queueUrlFrom(opts.queue)) throw new UsageError('no queue given: use --queue redis://HOST:6379/DB (or PERMAFROST_QUEUE), or --systemd DIR / --crontab to schedule without Redis');
  await withStore(opts, async (store) => {
    await store.add(spec);
    const { next } = await store.get(name);
    process.stdout.write(`schedule ${name} saved: cron "${spec.cron}" (${spec.tz}), next run ${next ? new Date(next).toISOString() : '-'}; runs need a \`permafrost worker\` on this queue\n`);
  });
}

async function listSchedules(opts: QueueOpts): Promise<void> {
  await withStore(opts, async (store) => {
    const now = Date.now();
    const rows = [];
    for (const { spec, next } of await store.list()) {
      const status = scheduleStatus(spec, next, await readRunRecords(store.redis, spec.name), await store.activeDueTimes(spec.name), now);
      rows.push({ spec, status });
    }
    if (opts.json) return printJson({ workers: await store.workerCount(), schedules: rows.map(({ spec, status }) => ({ ...status, schedule: spec })) });
    if (rows.length === 0) process.stdout.write('no schedules in this queue\n');
    for (const { spec, status } of rows) process.stdout.write(scheduleText(spec, status));
    if (rows.length > 0 && (await store.workerCount()) === 0) process.stdout.write('no worker is connected to this queue: runs are missed until one starts (`permafrost worker`)\n');
  });
}

export function register(program: Command): void {
  const schedule = program.command('schedule').description('nightly backups with retention: schedules in Redis run by `permafrost worker`, or systemd/cron units');
  addSpecOptions(schedule.command('add <name>').description('add or replace a schedule: backup at each cron time, then forget (and prune) per its --keep-* rules'), true)
    .option(...queueOption)
    .option('--systemd <dir>', 'without Redis: write a systemd timer + service pair into DIR')
    .option('--env-file <file>', 'EnvironmentFile of the systemd service (holds PERMAFROST_PASSWORD_FILE=…)', '/etc/permafrost/permafrost.env')
    .option('--crontab', 'without Redis: print a crontab line')
    .action(async (name: string, opts: AddOpts) => addSchedule(name, opts));
  schedule
    .command('list')
    .description('schedules with cron, next run, last run and result, missed runs')
    .option(...queueOption)
    .option('--json', 'the list as one JSON document')
    .action(async (opts: QueueOpts) => listSchedules(opts));
  schedule
    .command('remove <name>')
    .description('delete a schedule and its run records')
    .option(...queueOption)
    .action(async (name: string, opts: QueueOpts) => withStore(opts, async (store) => {
      await store.remove(name);
      process.stdout.write(`schedule ${name} removed\n`);
    }));
  schedule
    .command('run <name>')
    .description('queue a run of the schedule now (a worker runs it)')
    .option(...queueOption)
    .action(async (name: string, opts: QueueOpts) => withStore(opts, async (store) => {
      process.stdout.write(`queued run ${await store.runNow(name)} of schedule ${name}\n`);
    }));
  addSpecOptions(schedule.command('exec <name>').description('run a schedule once in this process (what the systemd service and crontab line start)'), false)
    .option('--json', 'print the outcome as one JSON document')
    .action(async (name: string, opts: SpecCliOptions & { json?: boolean }) => {
      const interrupt = interruptOnSignals();
      try {
        const outcome = await runScheduledBackup(specFromOptions(name, opts), { reporter: chooseReporter({ json: false }), signal: interrupt.signal });
        if (opts.json) printJson(outcome);
        else process.stdout.write(`${runText(recordOf(outcome, { dueAt: Date.now(), trigger: 'manual', attempts: 1 }))}\n`);
        process.exitCode = outcome.exitCode;
      } finally {
        interrupt.dispose();
      }
    });
}
