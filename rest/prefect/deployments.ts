import { z } from 'zod';
import type {
  DeploymentScheduleInput,
  PrefectDeploymentFragment,
  PrefectScheduleFragment,
} from '../generated/graphql.js';

/** Prefect's `DeploymentScheduleCreate`: one of an interval, a cron expression or an rrule. */
export const scheduleCreate = z.object({
  active: z.boolean().nullish(),
  schedule: z.union([
    z.object({
      interval: z.number().positive(),
      anchor_date: z.string().nullish(),
      timezone: z.string().nullish(),
    }),
    z.object({
      cron: z.string(),
      timezone: z.string().nullish(),
      day_or: z.boolean().nullish(),
    }),
    z.object({ rrule: z.string(), timezone: z.string().nullish() }),
  ]),
  max_scheduled_runs: z.number().int().nullish(),
  parameters: z
    .record(z.string(), z.unknown())
    .nullish()
    .refine((p) => !p || Object.keys(p).length === 0, {
      message: 'Parameters per schedule are not supported; set them on the deployment',
    }),
  slug: z.string().nullish(),
  replaces: z.string().nullish(),
});
export type PrefectScheduleCreate = z.infer<typeof scheduleCreate>;

/** A Prefect schedule as Flowplane's `DeploymentScheduleInput` (intervals in whole seconds). */
export function toScheduleInput(s: PrefectScheduleCreate): DeploymentScheduleInput {
  const sch = s.schedule;
  const base = { active: s.active ?? true, timezone: sch.timezone ?? undefined };
  if ('interval' in sch)
    return {
      ...base,
      intervalSeconds: Math.max(1, Math.round(sch.interval)),
      anchorDate: sch.anchor_date ?? undefined,
    };
  if ('cron' in sch) return { ...base, cron: sch.cron };
  return { ...base, rrule: sch.rrule };
}

export function toPrefectSchedule(s: PrefectScheduleFragment, deploymentId: string) {
  const schedule = s.cron
    ? { cron: s.cron, timezone: s.timezone, day_or: true }
    : s.rrule
      ? { rrule: s.rrule, timezone: s.timezone }
      : {
          interval: s.intervalSeconds ?? 0,
          anchor_date: s.anchorDate ?? s.createdAt,
          timezone: s.timezone,
        };
  return {
    id: s.id,
    created: s.createdAt,
    updated: s.createdAt,
    deployment_id: deploymentId,
    schedule,
    active: s.active,
    max_scheduled_runs: null,
    parameters: {},
    slug: null,
  };
}

export function toPrefectDeployment(d: PrefectDeploymentFragment) {
  return {
    id: d.id,
    created: d.createdAt,
    updated: d.updatedAt,
    name: d.name,
    version: d.version ?? null,
    version_id: null,
    version_info: null,
    branch: null,
    base: null,
    root: null,
    description: d.description ?? null,
    flow_id: d.flow?.id ?? null,
    paused: d.paused,
    schedules: d.schedules.map((s) => toPrefectSchedule(s, d.id)),
    concurrency_limit: d.concurrencyLimit ?? null,
    global_concurrency_limit: null,
    concurrency_options:
      d.concurrencyLimit == null ? null : { collision_strategy: d.collisionStrategy },
    job_variables: d.jobVariables ?? {},
    parameters: d.parameters ?? {},
    tags: d.tags,
    labels: {},
    work_queue_name: d.workQueue?.name ?? null,
    work_queue_id: d.workQueue?.id ?? null,
    last_polled: null,
    parameter_openapi_schema: d.parameterSchema ?? null,
    path: d.path ?? null,
    pull_steps: d.pullSteps ?? null,
    entrypoint: d.entrypoint ?? null,
    storage_document_id: null,
    infrastructure_document_id: null,
    created_by: null,
    updated_by: null,
    work_pool_name: d.workPool?.name ?? null,
    status: d.status,
    enforce_parameter_schema: true,
  };
}
