import type { EntityManager } from '@mikro-orm/core';
import { BlockDocument } from '../blocks/block-document.entity.js';
import { BlockSchema } from '../blocks/block-schema.entity.js';
import { BlockType } from '../blocks/block-type.entity.js';
import { Artifact } from '../artifacts/artifact.entity.js';
import {
  ConcurrencyLeaseSlot,
  ConcurrencyLimit,
} from '../concurrency-limits/concurrency-limit.entity.js';
import { ObjectAccess } from '../object-access/object-access.entity.js';
import { Log } from '../logs/log.entity.js';
import { ActivityPause } from '../incidents/activity-pause.entity.js';
import { Incident, IncidentResourceRow } from '../incidents/incident.entity.js';
import { Variable } from '../variables/variable.entity.js';
import { Automation } from '../automations/automation.entity.js';
import { AutomationBucket } from '../automations/evaluation/bucket.entity.js';
import { AutomationRevision } from '../automations/evaluation/revision.entity.js';
import { WebhookDelivery } from '../automations/webhooks/webhook-delivery.entity.js';
import { Event, EventRelated } from '../event-store/event.entity.js';
import { EventSettings } from '../events/event-settings.entity.js';

/**
 * Removes the workspace-scoped configuration and telemetry objects (variables, blocks,
 * artifacts, logs, concurrency limits, object ACLs, events, automations, incidents and the
 * activity they hold paused) of a deleted workspace; idempotent.
 */
export async function deleteWorkspaceConfiguration(
  workspaceId: string,
  em: EntityManager,
): Promise<void> {
  for (const entity of [
    Variable,
    BlockDocument,
    BlockSchema,
    BlockType,
    Log,
    Artifact,
    ConcurrencyLeaseSlot,
    ObjectAccess,
    ConcurrencyLimit,
    IncidentResourceRow,
    Incident,
    ActivityPause,
    AutomationBucket,
    Automation,
    AutomationRevision,
    WebhookDelivery,
    EventRelated,
    Event,
    EventSettings,
  ])
    await em.nativeDelete(entity, { workspaceId });
}
