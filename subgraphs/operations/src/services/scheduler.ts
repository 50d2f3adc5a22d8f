import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { BackgroundService } from '../../../../lib/background.js';
import type { SubgraphRuntime } from '../../../../lib/module.js';
import { Deployment } from '../deployments/deployment.entity.js';
import { DeploymentSchedule } from '../deployments/schedules/schedule.entity.js';
import { scheduleTimes } from '../deployments/schedules/schedule.js';
import { FlowRun } from '../flow-runs/flow-run.entity.js';
import { generateRunName } from '../flow-runs/flow-run.names.js';
import { insertFlowRun } from '../flow-runs/flow-run.service.js';
import { StateType } from '../orchestration/state-type.js';
import { backgroundEm, skipLocked } from './background-em.js';

export const MIN_RUNS = 3;
export const MAX_RUNS = 100;
const MAX_AHEAD_MS = 100 * 24 * 3600 * 1000;
/** Past the first MIN_RUNS, runs are created until this far ahead (then at most MAX_RUNS). */
const MIN_AHEAD_MS = 3600 * 1000;

/** The key that makes a (deployment, scheduled time) run unique across scheduler instances. */
export const scheduledRunKey = (deploymentId: string, at: Date) =>
  `scheduled:${deploymentId}:${at.toISOString()}`;

/** The times a deployment's active schedules want runs at, from `now` on. */
export function wantedTimes(schedules: DeploymentSchedule[], now: Date): Date[] {
  const until = new Date(now.getTime() + MAX_AHEAD_MS);
  const all = new Map<number, Date>();
  for (const s of schedules) {
    for (const t of scheduleTimes(s, now, until, MAX_RUNS)) all.set(t.getTime(), t);
  }
  const sorted = [...all.values()].sort((a, b) => a.getTime() - b.getTime());
  const out: Date[] = [];
  for (const t of sorted) {
    if (out.length >= MAX_RUNS) break;
    if (out.length >= MIN_RUNS && t.getTime() > now.getTime() + MIN_AHEAD_MS) break;
    out.push(t);
  }
  return out;
}

/**
 * Creates runs ahead for the active schedules of unpaused deployments: at least 3 and at most
 * 100, up to 100 days ahead. Each deployment is handled in its own transaction holding its row
 * (FOR UPDATE SKIP LOCKED on PostgreSQL: another instance busy with it is skipped), and each run
 * carries a deterministic idempotency key under a unique index, so instances never duplicate.
 */
export function schedulerService(sub: SubgraphRuntime<any>): BackgroundService {
  return {
    name: 'scheduler',
    intervalMs: 60_000,
    async runOnce(now = new Date()) {
      const em = backgroundEm(sub.orm);
      const schedules = await em.find(DeploymentSchedule, { active: true });
      const byDeployment = new Map<string, DeploymentSchedule[]>();
      for (const s of schedules) {
        byDeployment.set(s.deploymentId, [...(byDeployment.get(s.deploymentId) ?? []), s]);
      }
      let created = 0;
      for (const [deploymentId, own] of byDeployment) {
        const times = wantedTimes(own, now);
        if (!times.length) continue;
        try {
          created += await em.fork().transactional(async (tx) => {
            const d = await tx.findOne(
              Deployment,
              { id: deploymentId, paused: false },
              skipLocked(tx),
            );
            if (!d) return 0;
            const keys = times.map((t) => scheduledRunKey(d.id, t));
            const existing = new Set(
              (
                await tx.find(
                  FlowRun,
                  { workspaceId: d.workspaceId, idempotencyKey: { $in: keys } },
                  { fields: ['idempotencyKey'] },
                )
              ).map((r) => r.idempotencyKey),
            );
            let n = 0;
            for (const [i, at] of times.entries()) {
              if (existing.has(keys[i]!)) continue;
              await insertFlowRun(
                tx,
                {
                  workspaceId: d.workspaceId,
                  flowId: d.flowId,
                  deploymentId: d.id,
                  name: generateRunName(),
                  parameters: d.parameters,
                  tags: d.tags,
                  idempotencyKey: keys[i]!,
                  autoScheduled: true,
                  retries: d.retries ?? 0,
                  retryDelaySeconds: d.retryDelaySeconds ?? 0,
                  workPoolId: d.workPoolId ?? null,
                  workQueueId: d.workQueueId ?? null,
                },
                {
                  type: StateType.SCHEDULED,
                  name: 'Scheduled',
                  message: null,
                  details: { scheduledTime: at.toISOString() },
                },
                { now },
              );
              n++;
            }
            return n;
          });
        } catch (err) {
          // Another writer inserted one of these runs first (the unique key held): next pass.
          if (!(err instanceof UniqueConstraintViolationException)) throw err;
        }
      }
      if (created) await sub.publish();
      return created;
    },
  };
}
