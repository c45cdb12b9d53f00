// Schedules without Redis: cron → OnCalendar, the unit texts and the crontab line (src/schedule/systemd.ts).
import { describe, expect, it } from 'vitest';
import { crontabLine, cronToOnCalendar, systemdUnits } from '../../src/schedule/systemd.js';
import { execArguments, specFromOptions } from '../../src/cli/schedule/spec-options.js';

describe('cron → OnCalendar', () => {
  it.each([
    ['0 2 * * *', 'UTC', '*-*-* 02:00:00 UTC'],
    ['*/15 * * * *', 'UTC', '*-*-* *:0/15:00 UTC'],
    ['30 1 * * 1-5', 'Europe/Berlin', 'Mon..Fri *-*-* 01:30:00 Europe/Berlin'],
    ['0 3 1 * *', 'UTC', '*-*-01 03:00:00 UTC'],
    ['0 4 * jan,jul 0', 'UTC', 'Sun *-01,07-* 04:00:00 UTC'],
    ['15 6 * * sat,sun', 'UTC', 'Sat,Sun *-*-* 06:15:00 UTC'],
  ])('%s (%s) → %s', (cron, tz, expected) => {
    expect(cronToOnCalendar(cron, tz)).toBe(expected);
  });

  it('refuses day-of-month together with day-of-week (cron ORs them, systemd ANDs them)', () => {
    expect(() => cronToOnCalendar('0 2 1 * 1', 'UTC')).toThrow(/both day-of-month and day-of-week/);
    expect(() => cronToOnCalendar('0 2 * *', 'UTC')).toThrow(/exactly five fields/);
    expect(() => cronToOnCalendar('5 0-6/2 * * *', 'UTC')).toThrow(/cannot be written as a systemd OnCalendar.*--crontab/);
  });
});

describe('units and crontab line', () => {
  const spec = specFromOptions('nightly', { cron: '0 2 * * *', repo: '/srv/repo', osCloud: 'prod', allProjects: true, services: 'identity,networks', keepDaily: '7', keepWeekly: '4', keepMonthly: '12', prune: true });
  const command = ['/usr/bin/node', '/opt/permafrost/bin/permafrost.js', ...execArguments(spec)];

  it('exec arguments carry the whole schedule and no password', () => {
    expect(execArguments(spec)).toEqual(['schedule', 'exec', 'nightly', '--repo', '/srv/repo', '--os-cloud', 'prod', '--all-projects', '--services', 'identity,networks', '--keep-daily', '7', '--keep-weekly', '4', '--keep-monthly', '12', '--prune']);
  });

  it('service + timer: oneshot service with an EnvironmentFile, persistent timer with the OnCalendar', () => {
    const units = systemdUnits({ name: 'nightly', cron: spec.cron, tz: 'UTC', command, environmentFile: '/etc/permafrost/permafrost.env' });
    expect(units.service.file).toBe('permafrost-schedule-nightly.service');
    expect(units.timer.file).toBe('permafrost-schedule-nightly.timer');
    expect(units.service.text).toContain('Type=oneshot\n');
    expect(units.service.text).toContain('EnvironmentFile=/etc/permafrost/permafrost.env\n');
    expect(units.service.text).toContain('ExecStart=/usr/bin/node /opt/permafrost/bin/permafrost.js schedule exec nightly --repo /srv/repo --os-cloud prod --all-projects');
    expect(units.timer.text).toContain('OnCalendar=*-*-* 02:00:00 UTC\n');
    expect(units.timer.text).toContain('Persistent=true\n');
    expect(units.timer.text).toContain('Unit=permafrost-schedule-nightly.service\n');
    expect(units.timer.text).toContain('WantedBy=timers.target');
  });

  it('quotes arguments for systemd and for the shell of cron (%, spaces, quotes)', () => {
    const odd = ['/usr/bin/node', '/p.js', 'schedule', 'exec', 'x', '--repo', '/srv/my repo %1', '--project', "o'neil"];
    const units = systemdUnits({ name: 'x', cron: '0 2 * * *', tz: 'UTC', command: odd, environmentFile: '/e' });
    expect(units.service.text).toContain(`ExecStart=/usr/bin/node /p.js schedule exec x --repo "/srv/my repo %%1" --project "o'neil"`);
    const line = crontabLine({ name: 'x', cron: '0 2 * * *', tz: 'UTC', command: odd });
    expect(line.split('\n')[1]).toBe(`0 2 * * * /usr/bin/node /p.js schedule exec x --repo '/srv/my repo \\%1' --project 'o'\\''neil'`);
    expect(line.startsWith('# permafrost schedule x')).toBe(true);
  });
});
