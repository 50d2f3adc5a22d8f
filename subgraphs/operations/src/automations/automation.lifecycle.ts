import type { Em } from '../../../../lib/orm.js';
import { recordEvent } from '../../../../lib/outbox.js';
import type { Automation } from './automation.entity.js';
import { noteRevisionBump } from './evaluation/automation-cache.js';
import { AutomationBucket, bucketKeyOf } from './evaluation/bucket.entity.js';
import { walkTriggers } from './triggers/trigger.schema.js';

/**
 * Starts an automation's evaluation afresh: its buckets go, and (when enabled) every PROACTIVE
 * trigger without `after` opens its first window now. Called on create, on enable and when the
 * trigger changes.
 */
export async function resetBuckets(em: Em, a: Automation, now = new Date()): Promise<void> {
  await em.nativeDelete(AutomationBucket, { automationId: a.id });
  if (!a.enabled) return;
  for (const { path, spec } of walkTriggers(a.trigger)) {
    if (spec.kind !== 'event' || spec.posture !== 'PROACTIVE' || spec.after.length) continue;
    em.persist(
      Object.assign(new AutomationBucket(), {
        automationId: a.id,
        workspaceId: a.workspaceId,
        triggerPath: path,
        bucketKey: bucketKeyOf([]),
        posture: 'PROACTIVE',
        windowStart: now,
        windowEnd: new Date(now.getTime() + spec.withinSeconds * 1000),
        count: 0,
        state: { values: [] },
      }),
    );
  }
}

/**
 * Enables or disables an automation (no authorization: callers check). A disabled automation
 * sees no events and its windows are not evaluated; enabling starts it afresh.
 */
export async function applyEnabled(
  em: Em,
  a: Automation,
  enabled: boolean,
  eventPayload: Record<string, unknown>,
  now = new Date(),
): Promise<boolean> {
  if (a.enabled === enabled) return false;
  a.enabled = enabled;
  a.updatedAt = now;
  if (enabled) await resetBuckets(em, a, now);
  await bumpRevision(em, a.workspaceId);
  recordEvent(em, enabled ? 'automation.enabled' : 'automation.disabled', {
    automationId: a.id,
    name: a.name,
    ...eventPayload,
  });
  return true;
}

/**
 * Bumps the workspace's automation revision in the caller's transaction: evaluators on every
 * instance compare it to reload their cached automations (see evaluation/automation-cache.ts).
 */
export async function bumpRevision(em: Em, workspaceId: string): Promise<void> {
  await em.execute(
    'insert into automation_revision (workspace_id, revision) values (?, 1) on conflict (workspace_id) do update set revision = automation_revision.revision + 1',
    [workspaceId],
  );
  noteRevisionBump();
}
