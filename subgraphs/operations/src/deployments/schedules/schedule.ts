import { CronExpressionParser } from 'cron-parser';
import rrulePkg from 'rrule';
import { badInput } from '../../../../../lib/errors.js';
import { validateTimezone } from '../../../../../lib/validation.js';
import type { DeploymentScheduleInput } from './schedule.inputs.js';
import { DeploymentSchedule } from './schedule.entity.js';

// rrule ships CommonJS; its named exports come through the default export under Node ESM.
const { rrulestr } = rrulePkg as unknown as typeof import('rrule');

type RRuleLike = { between(after: Date, before: Date, inc?: boolean): Date[] };

export const MAX_SCHEDULES = 20;
const MIN_INTERVAL_SECONDS = 1;
const MAX_INTERVAL_SECONDS = 366 * 24 * 3600;

/** Fields of a schedule, checked: exactly one of cron, interval, rrule; a known time zone. */
export function validateSchedule(
  input: DeploymentScheduleInput,
  field: string,
): Omit<DeploymentSchedule, 'id' | 'deploymentId' | 'workspaceId' | 'createdAt'> {
  const kinds = [input.cron != null, input.intervalSeconds != null, input.rrule != null].filter(
    Boolean,
  ).length;
  if (kinds !== 1) throw badInput(field, 'Give exactly one of cron, intervalSeconds or rrule');
  const timezone = validateTimezone(input.timezone ?? 'UTC', `${field}.timezone`);
  const out = {
    active: input.active ?? true,
    cron: null as string | null,
    intervalSeconds: null as number | null,
    anchorDate: null as Date | null,
    rrule: null as string | null,
    timezone,
  };
  if (input.cron != null) {
    const cron = input.cron.trim();
    const fields = cron.split(/\s+/).length;
    if (cron.length > 200 || (fields !== 5 && fields !== 6 && !cron.startsWith('@'))) {
      throw badInput(`${field}.cron`, 'A cron expression has 5 or 6 fields');
    }
    try {
      CronExpressionParser.parse(cron, { tz: timezone }).next();
    } catch (err) {
      throw badInput(`${field}.cron`, `Malformed cron expression: ${(err as Error).message}`);
    }
    out.cron = cron;
  } else if (input.intervalSeconds != null) {
    const s = input.intervalSeconds;
    if (!Number.isInteger(s) || s < MIN_INTERVAL_SECONDS || s > MAX_INTERVAL_SECONDS) {
      throw badInput(
        `${field}.intervalSeconds`,
        `An interval is ${MIN_INTERVAL_SECONDS} to ${MAX_INTERVAL_SECONDS} seconds`,
      );
    }
    out.intervalSeconds = s;
    out.anchorDate = input.anchorDate ?? new Date();
  } else {
    const rule = input.rrule!.trim();
    if (rule.length > 2000) throw badInput(`${field}.rrule`, 'At most 2000 characters');
    try {
      parseRRule(rule, timezone, new Date());
    } catch (err) {
      throw badInput(`${field}.rrule`, `Malformed rrule: ${(err as Error).message}`);
    }
    out.rrule = rule;
  }
  return out;
}

function parseRRule(rule: string, tzid: string, dtstart: Date): RRuleLike {
  const parsed = rrulestr(rule, { dtstart, tzid, forceset: false }) as unknown as RRuleLike;
  // Parsing is lazy about some errors: expand a little to surface them now.
  parsed.between(dtstart, new Date(dtstart.getTime() + 86_400_000), true);
  return parsed;
}

/** The schedule's times in (after, until], at most `max` of them, ascending. */
export function scheduleTimes(
  s: DeploymentSchedule,
  after: Date,
  until: Date,
  max: number,
): Date[] {
  const out: Date[] = [];
  if (s.cron) {
    const it = CronExpressionParser.parse(s.cron, {
      currentDate: after,
      endDate: until,
      tz: s.timezone,
    });
    while (out.length < max && it.hasNext()) out.push(it.next().toDate());
  } else if (s.intervalSeconds) {
    const step = s.intervalSeconds * 1000;
    const anchor = (s.anchorDate ?? s.createdAt).getTime();
    let n = Math.max(0, Math.floor((after.getTime() - anchor) / step) + 1);
    for (
      let t = anchor + n * step;
      t <= until.getTime() && out.length < max;
      t = anchor + ++n * step
    ) {
      if (t > after.getTime()) out.push(new Date(t));
    }
  } else if (s.rrule) {
    const rule = parseRRule(s.rrule, s.timezone, s.createdAt);
    for (const d of rule.between(after, until, false)) {
      if (out.length >= max) break;
      out.push(d);
    }
  }
  return out;
}
