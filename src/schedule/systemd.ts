// Schedules without Redis (pure text): a systemd timer + service pair, or a crontab line, that
// start `permafrost schedule exec` with the schedule's options. The password is never written
// into them: the service reads it from its EnvironmentFile (PERMAFROST_PASSWORD_FILE, …).
import { UsageError } from '../errors.js';

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function unsupported(cron: string, why: string): UsageError {
  return new UsageError(`--cron "${cron}" cannot be written as a systemd OnCalendar: ${why}; use a simpler pattern or --crontab`);
}

/** One cron field (numbers, *, a-b, lists, * /n and a/n steps) in OnCalendar syntax. */
function calendarField(cron: string, field: string, first: number, names?: string[]): string {
  if (field === '*') return '*';
  return field
    .split(',')
    .map((part) => {
      const named = names ? part.toLowerCase().replace(/[a-z]{3}/g, (n) => String(names.indexOf(n) + first)) : part;
      let m = /^\*\/(\d+)$/.exec(named);
      if (m) return `${first}/${Number(m[1])}`;
      m = /^(\d+)\/(\d+)$/.exec(named);
      if (m) return `${Number(m[1])}/${Number(m[2])}`;
      m = /^(\d+)-(\d+)$/.exec(named);
      if (m) return `${Number(m[1])}..${Number(m[2])}`;
      if (/^\d+$/.test(named)) return String(Number(named)).padStart(2, '0');
      throw unsupported(cron, `field "${part}" is not supported`);
    })
    .join(',');
}

function weekdayField(cron: string, field: string): string {
  const day = (s: string): string => {
    const n = /^\d$/.test(s) ? Number(s) % 7 : DAY_NAMES.findIndex((d) => d.toLowerCase() === s.toLowerCase());
    if (n < 0) throw unsupported(cron, `day of week "${s}" is not supported`);
    return DAY_NAMES[n]!;
  };
  return field
    .split(',')
    .map((part) => {
      const range = /^(\w+)-(\w+)$/.exec(part);
      return range ? `${day(range[1]!)}..${day(range[2]!)}` : day(part);
    })
    .join(',');
}

/** A five-field cron pattern as a systemd OnCalendar expression in time zone `tz`. */
export function cronToOnCalendar(cron: string, tz: string): string {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) throw unsupported(cron, 'it needs exactly five fields (minute hour day-of-month month day-of-week)');
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  // cron runs when day-of-month OR day-of-week match; OnCalendar needs both: only one may be set
  if (dom !== '*' && dow !== '*') throw unsupported(cron, 'both day-of-month and day-of-week are set');
  const date = `*-${calendarField(cron, month, 1, MONTH_NAMES)}-${calendarField(cron, dom, 1)}`;
  const time = `${calendarField(cron, hour, 0)}:${calendarField(cron, minute, 0)}:00`;
  const weekday = dow === '*' ? '' : `${weekdayField(cron, dow)} `;
  return `${weekday}${date} ${time} ${tz}`;
}

/** One argument of an ExecStart line, quoted as systemd reads it. */
function systemdWord(arg: string): string {
  const escaped = arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? escaped : `"${escaped}"`;
}

/** One argument of a crontab command (run by /bin/sh; `%` means newline to cron). */
function shellWord(arg: string): string {
  const quoted = /^[A-Za-z0-9_@+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
  return quoted.replace(/%/g, '\\%');
}

export interface UnitInput {
  name: string;
  cron: string;
  tz: string;
  /** The full command: the permafrost executable and `schedule exec NAME …`. */
  command: string[];
  /** File with PERMAFROST_PASSWORD_FILE=… (and OS_CLIENT_CONFIG_FILE=… if needed). */
  environmentFile: string;
}

export interface UnitFiles {
  service: { file: string; text: string };
  timer: { file: string; text: string };
}

export function systemdUnits(u: UnitInput): UnitFiles {
  const base = `permafrost-schedule-${u.name}`;
  const service = [
    '[Unit]',
    `Description=permafrost schedule ${u.name}: backup and retention`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    '# The repository password is read from this file (PERMAFROST_PASSWORD_FILE=/path); never put it here.',
    `EnvironmentFile=${u.environmentFile}`,
    `ExecStart=${u.command.map(systemdWord).join(' ')}`,
    '',
  ].join('\n');
  const timer = [
    '[Unit]',
    `Description=permafrost schedule ${u.name} (cron "${u.cron}" ${u.tz})`,
    '',
    '[Timer]',
    `OnCalendar=${cronToOnCalendar(u.cron, u.tz)}`,
    '# A run missed while the machine was off starts at the next boot.',
    'Persistent=true',
    `Unit=${base}.service`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return { service: { file: `${base}.service`, text: service }, timer: { file: `${base}.timer`, text: timer } };
}

/** A crontab line (with a comment line above it) that runs the schedule. */
export function crontabLine(u: Omit<UnitInput, 'environmentFile'>): string {
  return `# permafrost schedule ${u.name} (cron runs in its own time zone; the pattern was given for ${u.tz}); PERMAFROST_PASSWORD_FILE must be set in the crontab\n${u.cron} ${u.command.map(shellWord).join(' ')}\n`;
}
