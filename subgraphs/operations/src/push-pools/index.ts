import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { pushConsumers, pushOutboxHints } from './push.consumers.js';
import { FlowRunCredential, PushSubmission } from './push-entities.js';
import { pushService, pushSettingsOf } from './push.service.js';
import './push.context.js';
import { RunCredentialResolver } from './run-credential.resolver.js';

/**
 * Push work pools: the server submits the runs of pools whose type has a `PushSubmitter`
 * (built in: "webhook-push") with a run-scoped credential, so no worker polls them.
 */
export const pushPoolsModule = defineModule<OperationsContext>({
  name: 'push-pools',
  layer: 'reactive',
  resolvers: [RunCredentialResolver],
  entities: [PushSubmission, FlowRunCredential],
  provides: (sub) => ({ pushSettings: () => pushSettingsOf(sub) }),
  consumers: (sub) => pushConsumers(sub),
  outboxHints: pushOutboxHints,
  jobs: (sub) => [pushService(sub)],
});
