import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { Automation } from './automation.entity.js';
import { AutomationResolver, WorkspaceAutomationsResolver } from './automation.resolver.js';
import { AutomationBucket } from './evaluation/bucket.entity.js';
import { automationsOutboxHints } from './evaluation/automation-cache.js';
import { automationConsumers } from './evaluation/consumer.js';
import { proactiveWindowsService } from './evaluation/proactive.service.js';
import { AutomationRevision } from './evaluation/revision.entity.js';
import { webhookDeliveryService } from './webhooks/delivery.service.js';
import { WebhookDelivery } from './webhooks/webhook-delivery.entity.js';

/** Automations: triggers evaluated on events, actions, webhook deliveries. */
export const automationsModule = defineModule<OperationsContext>({
  name: 'automations',
  layer: 'reactive',
  resolvers: [AutomationResolver, WorkspaceAutomationsResolver],
  entities: [Automation, AutomationBucket, AutomationRevision, WebhookDelivery],
  consumerGroups: (sub) => ({ automations: automationConsumers(sub) }),
  outboxHints: automationsOutboxHints,
  jobs: (sub) => [proactiveWindowsService(sub), webhookDeliveryService(sub)],
});
