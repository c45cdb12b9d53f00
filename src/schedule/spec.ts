// What a schedule is: a cron pattern and the backup + retention it starts. Stored as the data of
// a BullMQ job scheduler (src/schedule/store.ts), so it holds names and URLs only: the repository
// password and the cloud credentials come from the worker's own environment and clouds.yaml.
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { policyIsEmpty, type RetentionPolicy } from '../repository/forget-policy.js';

const count = z.number().int().min(0).optional();

export const retentionSchema = z.object({
  last: count,
  hourly: count,
  daily: count,
  weekly: count,
  monthly: count,
  yearly: count,
  within: z.string().optional(),
});

export const scheduleSpecSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
  cron: z.string().min(1),
  /** IANA time zone of the cron pattern; UTC when absent. */
  tz: z.string().optional(),
  cloud: z.object({
    osCloud: z.string().optional(),
    osRegionName: z.string().optional(),
    osInterface: z.enum(['public', 'internal', 'admin']).optional(),
  }),
  repo: z.string().min(1),
  /** Projects by name or ID; empty with allProjects = every project of the cloud. */
  projects: z.array(z.string()),
  allProjects: z.boolean(),
  services: z.array(z.string()).optional(),
  retention: retentionSchema,
  /** Run prune after forget to free the space. */
  prune: z.boolean(),
  createdAt: z.string(),
});

export type ScheduleSpec = z.infer<typeof scheduleSpecSchema>;

/** Schedule names become job scheduler IDs, unit file names and crontab comments. */
export function checkScheduleName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    throw new UsageError(`schedule name "${name}" may hold letters, digits, '.', '_' and '-' only (at most 64, starting with a letter or digit)`);
  }
  return name;
}

/**
 * A schedule's retention must keep something of every project: forget never empties a project's
 * history on its own. Returns the policy as `forget` takes it.
 */
export function checkRetention(policy: RetentionPolicy): RetentionPolicy {
  if (policyIsEmpty(policy)) {
    throw new UsageError('a schedule needs a retention policy: give at least one --keep-* option (e.g. --keep-daily 7 --keep-weekly 4 --keep-monthly 12)');
  }
  const keepsOne = [policy.last, policy.hourly, policy.daily, policy.weekly, policy.monthly, policy.yearly].some((n) => n !== undefined && n > 0) || policy.within !== undefined;
  if (!keepsOne) throw new UsageError('the retention policy keeps no snapshot at all: give a --keep-* option of at least 1');
  return policy;
}

/** A schedule read back from Redis; a schedule written by another version is refused clearly. */
export function parseScheduleSpec(data: unknown, id: string): ScheduleSpec {
  const parsed = scheduleSpecSchema.safeParse(data);
  if (!parsed.success) throw new UsageError(`schedule ${id} in the queue is not one this permafrost understands (${parsed.error.issues[0]?.message ?? 'bad data'}): remove it and add it again`);
  return parsed.data;
}
