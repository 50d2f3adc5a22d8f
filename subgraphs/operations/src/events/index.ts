import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { EventResolver, WorkspaceEventsResolver } from './event.resolver.js';
import { eventConsumers } from './event.consumers.js';
import { eventRetentionService } from './event-retention.js';
import { EventSettings } from './event-settings.entity.js';
import { EventSubscriptionResolver } from './event-subscription.resolver.js';
import { FlowRunEventResolver } from './flow-run-event.resolver.js';
import { zombieRunsService } from './zombie-runs.js';

/** Events: queries, subscriptions, ingestion consumers, retention, zombie runs. */
export const eventsModule = defineModule<OperationsContext>({
  name: 'events',
  layer: 'events',
  resolvers: [
    EventResolver,
    WorkspaceEventsResolver,
    FlowRunEventResolver,
    EventSubscriptionResolver,
  ],
  entities: [EventSettings],
  consumerGroups: () => ({ events: eventConsumers }),
  jobs: (sub) => [eventRetentionService(sub), zombieRunsService(sub)],
});
