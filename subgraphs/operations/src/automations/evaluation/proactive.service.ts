import type { BackgroundService } from '../../../../../lib/background.js';
import { runAsActor, systemActor } from '../../../../../lib/actor.js';
import type { Em } from '../../../../../lib/orm.js';
import type { SubgraphRuntime } from '../../../../../lib/module.js';
import type { OperationsContext } from '../../context.js';
import { backgroundEm, skipLocked } from '../../services/background-em.js';
import { Automation } from '../automation.entity.js';
import { compile } from './automation-cache.js';
import { AutomationBucket } from './bucket.entity.js';
import { Evaluation } from './evaluation.js';
import { MAX_WITHIN_SECONDS } from '../triggers/trigger.validation.js';

/** Windows are judged this long after their end (events in flight at the end still count). */
export const PROACTIVE_GRACE_MS = 1000;
/** An event trigger's bucket idle this long (window over, nothing to resolve) is dropped. */
export const IDLE_BUCKET_MS = 24 * 3600 * 1000;
/** A compound or sequence bucket remembers sub-triggers for at most the longest window. */
const IDLE_COMPOSITE_MS = (MAX_WITHIN_SECONDS + 24 * 3600) * 1000;
const BATCH = 50;

/**
 * One batch of expired PROACTIVE windows, taken FOR UPDATE SKIP LOCKED (PostgreSQL) so that
 * instances split them: a window that saw fewer than `threshold` expected events fires. Returns
 * how many windows it closed and how many firings that made.
 */
async function batch(sub: SubgraphRuntime<OperationsContext>, now: Date) {
  return backgroundEm(sub.orm)
    .fork()
    .transactional(async (em: Em) => {
      const due = await em.find(
        AutomationBucket,
        { posture: 'PROACTIVE', windowEnd: { $lte: new Date(now.getTime() - PROACTIVE_GRACE_MS) } },
        { ...skipLocked(em), orderBy: { windowEnd: 'asc', id: 'asc' }, limit: BATCH },
      );
      if (!due.length) return { seen: 0, fired: 0 };
      const rows = await em.find(
        Automation,
        { id: { $in: [...new Set(due.map((b) => b.automationId))] }, enabled: true },
        { disableIdentityMap: true },
      );
      const automations = new Map(rows.map((a) => [a.id, compile(a)]));
      const evaluation = new Evaluation(sub, em, now);
      due.forEach((b) => evaluation.adopt(b));
      let fired = 0;
      for (const b of due) {
        const a = automations.get(b.automationId);
        const node = a?.nodes.get(b.triggerPath);
        const spec = node?.spec.kind === 'event' ? node.spec : null;
        const missed = spec ? b.count < spec.threshold : false;
        const event = b.state.lastEvent ?? null;
        if (spec && !spec.after.length) {
          // Without `after`, windows follow each other from the moment one is judged.
          b.windowStart = now;
          b.windowEnd = new Date(now.getTime() + spec.withinSeconds * 1000);
        } else {
          // With `after` (or for a disabled automation, which restarts afresh) it waits.
          b.windowStart = null;
          b.windowEnd = null;
        }
        b.count = 0;
        if (!a || !missed) continue;
        b.firedAt = now;
        b.resolvedAt = null;
        fired++;
        await evaluation.signal(a, b.triggerPath, 'fired', b.state.values ?? [], event, now);
      }
      await evaluation.runPendingActions();
      return { seen: due.length, fired };
    });
}

/**
 * Drops buckets nobody needs: forEach keys come and go (a bucket per flow run, say), so a
 * bucket whose window ended a day ago and that has no unresolved firing goes (a new event of
 * its key starts it afresh, as it would anyway).
 */
async function dropIdleBuckets(
  sub: SubgraphRuntime<OperationsContext>,
  now: Date,
): Promise<number> {
  const idle = new Date(now.getTime() - IDLE_BUCKET_MS);
  return backgroundEm(sub.orm).nativeDelete(AutomationBucket, {
    $and: [
      { $or: [{ firedAt: null }, { resolvedAt: { $ne: null } }] },
      {
        $or: [
          {
            posture: { $ne: null },
            updatedAt: { $lt: idle },
            $or: [{ windowEnd: null }, { windowEnd: { $lt: idle } }],
          },
          { posture: null, updatedAt: { $lt: new Date(now.getTime() - IDLE_COMPOSITE_MS) } },
        ],
      },
    ],
  });
}

/** Judges expired PROACTIVE windows (REFERENCE §6: "fire when fewer than threshold arrive"). */
export function proactiveWindowsService(
  sub: SubgraphRuntime<OperationsContext>,
): BackgroundService {
  return {
    name: 'automation-windows',
    intervalMs: 2_000,
    async runOnce(now = new Date()) {
      let fired = 0;
      await runAsActor(systemActor('operations.automations'), async () => {
        for (;;) {
          const n = await batch(sub, now);
          fired += n.fired;
          if (n.seen < BATCH) break;
        }
      });
      if (fired) await sub.publish();
      await dropIdleBuckets(sub, now);
      return fired;
    },
  };
}
