import type { BackgroundService } from '../../../../lib/background.js';
import type { SubgraphRuntime } from '../../../../lib/module.js';
import { FlowRun } from '../flow-runs/flow-run.entity.js';
import { StateType } from '../orchestration/state-type.js';
import { backgroundEm } from '../services/background-em.js';
import { transitionAll } from '../services/run-services.js';
import { Event } from '../event-store/event.entity.js';

/** Prefect clients send `prefect.flow-run.heartbeat` events while a flow run runs. */
export const HEARTBEAT_EVENT = 'prefect.flow-run.heartbeat';
/**
 * A RUNNING flow run that has sent heartbeats and then none for this long is a zombie: its
 * process died without reporting (SIGKILL, a lost machine). Prefect's default heartbeat is
 * every 180 s, so this is three missed heartbeats plus a minute.
 */
export const ZOMBIE_AFTER_MS = 10 * 60_000;
const SCAN = 1000;

const resourceOf = (runId: string) => `prefect.flow-run.${runId}`;

/**
 * Marks zombie flow runs CRASHED (through the policy, like any state change). Runs that never
 * sent a heartbeat (clients with heartbeats turned off) are left alone.
 */
export function zombieRunsService(sub: SubgraphRuntime<any>): BackgroundService {
  return {
    name: 'zombie-runs',
    intervalMs: 60_000,
    async runOnce(now = new Date()) {
      const em = backgroundEm(sub.orm);
      const cutoff = new Date(now.getTime() - ZOMBIE_AFTER_MS);
      const running = await em.find(
        FlowRun,
        { stateType: StateType.RUNNING, stateTimestamp: { $lt: cutoff } },
        { fields: ['id'], limit: SCAN, orderBy: { stateTimestamp: 'asc' } },
      );
      if (!running.length) return 0;
      const beating = async (since: Date | null) =>
        new Set(
          (
            await em
              .createQueryBuilder(Event)
              .select('resourceId', true)
              .where({
                name: HEARTBEAT_EVENT,
                resourceId: { $in: running.map((r) => resourceOf(r.id)) },
                ...(since ? { occurred: { $gte: since } } : {}),
              })
              .execute<{ resourceId: string }[]>()
          ).map((r) => r.resourceId),
        );
      const everBeat = await beating(null);
      const stillBeating = await beating(cutoff);
      const zombies = running
        .map((r) => r.id)
        .filter((id) => everBeat.has(resourceOf(id)) && !stillBeating.has(resourceOf(id)));
      if (!zombies.length) return 0;
      return transitionAll(
        sub,
        () => ({ id: { $in: zombies }, stateType: StateType.RUNNING }),
        () => ({
          type: StateType.CRASHED,
          name: 'Crashed',
          message: `No heartbeat for ${ZOMBIE_AFTER_MS / 60_000} minutes: the process running it is presumed dead`,
          details: {},
        }),
        now,
      );
    },
  };
}
