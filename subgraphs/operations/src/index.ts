import type { SubgraphDefinition } from '../../../lib/subgraph.js';
import { extendContext, type OperationsContext } from './context.js';
import { Deployment } from './deployments/deployment.entity.js';
import {
  DeploymentResolver,
  FlowDeploymentsResolver,
  WorkspaceDeploymentsResolver,
} from './deployments/deployment.resolver.js';
import { DeploymentService } from './deployments/deployment.service.js';
import { DeploymentSchedule } from './deployments/schedules/schedule.entity.js';
import { FlowRun } from './flow-runs/flow-run.entity.js';
import { FlowRunResolver, WorkspaceFlowRunsResolver } from './flow-runs/flow-run.resolver.js';
import { FlowRunService } from './flow-runs/flow-run.service.js';
import { flowConsumers } from './flows/flow.consumers.js';
import { Flow } from './flows/flow.entity.js';
import { FlowResolver, WorkspaceFlowsResolver } from './flows/flow.resolver.js';
import { FlowService } from './flows/flow.service.js';
import { migrations } from './migrations/index.js';
import { Event, EventRelated } from './events/event.entity.js';
import { EventResolver, WorkspaceEventsResolver } from './events/event.resolver.js';
import { eventConsumers } from './events/event.consumers.js';
import { eventRetentionService } from './events/event-retention.js';
import { EventSettings } from './events/event-settings.entity.js';
import { Automation } from './automations/automation.entity.js';
import {
  AutomationResolver,
  WorkspaceAutomationsResolver,
} from './automations/automation.resolver.js';
import { AutomationBucket } from './automations/evaluation/bucket.entity.js';
import { automationConsumers } from './automations/evaluation/consumer.js';
import { proactiveWindowsService } from './automations/evaluation/proactive.service.js';
import { AutomationRevision } from './automations/evaluation/revision.entity.js';
import { webhookDeliveryService } from './automations/webhooks/delivery.service.js';
import { WebhookDelivery } from './automations/webhooks/webhook-delivery.entity.js';
import { EventSubscriptionResolver } from './events/event-subscription.resolver.js';
import { FlowRunEventResolver } from './events/flow-run-event.resolver.js';
import { ActivityPause } from './incidents/activity-pause.entity.js';
import { Incident, IncidentResourceRow } from './incidents/incident.entity.js';
import {
  IncidentActorResolver,
  IncidentChangeResolver,
  IncidentResolver,
  IncidentResourceResolver,
  WorkspaceIncidentsResolver,
} from './incidents/incident.resolver.js';
import { RunState } from './orchestration/run-state.entity.js';
import {
  lateRunsService,
  pauseExpiryService,
  workerLivenessService,
} from './services/run-services.js';
import { schedulerService } from './services/scheduler.js';
import { zombieRunsService } from './events/zombie-runs.js';
import { TaskRun } from './task-runs/task-run.entity.js';
import { TaskRunResolver } from './task-runs/task-run.resolver.js';
import { Workspace } from './tenancy/workspace.type.js';
import { deleteWorkspaceConfiguration } from './common/workspace-cleanup.js';
import { Variable } from './variables/variable.entity.js';
import { BlockDocument } from './blocks/block-document.entity.js';
import { BlockSchema } from './blocks/block-schema.entity.js';
import { BlockType } from './blocks/block-type.entity.js';
import {
  BlockDocumentResolver,
  BlockSchemaResolver,
  BlockTypeResolver,
  WorkspaceBlocksResolver,
} from './blocks/block.resolver.js';
import { Artifact } from './artifacts/artifact.entity.js';
import { ArtifactResolver, WorkspaceArtifactsResolver } from './artifacts/artifact.resolver.js';
import { Log } from './logs/log.entity.js';
import { AccountTeam, accountTeamConsumers } from './object-access/account-team.entity.js';
import { ObjectAccess } from './object-access/object-access.entity.js';
import {
  BlockDocumentAccessResolver,
  DeploymentAccessResolver,
  WorkPoolAccessResolver,
  ObjectAccessResolver,
} from './object-access/object-access.resolver.js';
import {
  ConcurrencyLeaseSlot,
  ConcurrencyLimit,
} from './concurrency-limits/concurrency-limit.entity.js';
import {
  ConcurrencyLimitResolver,
  WorkspaceConcurrencyLimitsResolver,
} from './concurrency-limits/concurrency-limit.resolver.js';
import { LogResolver, WorkspaceLogsResolver } from './logs/log.resolver.js';
import { VariableResolver, WorkspaceVariablesResolver } from './variables/variable.resolver.js';
import { errorSummariesModule } from './error-summaries/index.js';
import { WorkPool } from './work-pools/work-pool.entity.js';
import {
  WorkPoolResolver,
  WorkQueueResolver,
  WorkspaceWorkPoolsResolver,
} from './work-pools/work-pool.resolver.js';
import { WorkPoolService } from './work-pools/work-pool.service.js';
import { WorkQueue } from './work-pools/work-queue.entity.js';
import { Worker } from './work-pools/worker.entity.js';

/** operations: flows, deployments, runs and their orchestration, work pools. */
export const operationsSubgraph: SubgraphDefinition<OperationsContext> = {
  name: 'operations',
  resolvers: [
    FlowResolver,
    WorkspaceFlowsResolver,
    VariableResolver,
    WorkspaceVariablesResolver,
    BlockTypeResolver,
    BlockSchemaResolver,
    BlockDocumentResolver,
    WorkspaceBlocksResolver,
    LogResolver,
    WorkspaceLogsResolver,
    ArtifactResolver,
    WorkspaceArtifactsResolver,
    ConcurrencyLimitResolver,
    WorkspaceConcurrencyLimitsResolver,
    ObjectAccessResolver,
    BlockDocumentAccessResolver,
    DeploymentAccessResolver,
    WorkPoolAccessResolver,
    DeploymentResolver,
    WorkspaceDeploymentsResolver,
    FlowDeploymentsResolver,
    FlowRunResolver,
    WorkspaceFlowRunsResolver,
    TaskRunResolver,
    WorkPoolResolver,
    WorkQueueResolver,
    WorkspaceWorkPoolsResolver,
    EventResolver,
    AutomationResolver,
    WorkspaceAutomationsResolver,
    WorkspaceEventsResolver,
    FlowRunEventResolver,
    EventSubscriptionResolver,
    IncidentResolver,
    IncidentChangeResolver,
    IncidentResourceResolver,
    IncidentActorResolver,
    WorkspaceIncidentsResolver,
    ...errorSummariesModule.resolvers,
  ],
  orphanedTypes: [Workspace],
  entities: [
    Flow,
    Variable,
    BlockType,
    BlockSchema,
    BlockDocument,
    Log,
    Artifact,
    ConcurrencyLimit,
    ConcurrencyLeaseSlot,
    ObjectAccess,
    AccountTeam,
    Deployment,
    DeploymentSchedule,
    FlowRun,
    TaskRun,
    RunState,
    WorkPool,
    WorkQueue,
    Worker,
    Event,
    EventRelated,
    Automation,
    AutomationBucket,
    AutomationRevision,
    WebhookDelivery,
    Incident,
    IncidentResourceRow,
    ActivityPause,
    EventSettings,
    ...errorSummariesModule.entities,
  ],
  migrations,
  extendContext,
  referenceResolvers: () => ({
    Flow: {
      __resolveReference: (ref: { id: string }, ctx: OperationsContext) =>
        new FlowService(ctx).reference(ref.id),
    },
    Deployment: {
      __resolveReference: (ref: { id: string }, ctx: OperationsContext) =>
        new DeploymentService(ctx).visible(ref.id),
    },
    FlowRun: {
      __resolveReference: (ref: { id: string }, ctx: OperationsContext) =>
        new FlowRunService(ctx).visible(ref.id),
    },
    TaskRun: {
      __resolveReference: async (ref: { id: string }, ctx: OperationsContext) => {
        const run = await ctx.loaders.taskRunById.load(ref.id);
        return run && (await new FlowRunService(ctx).visible(run.flowRunId)) ? run : null;
      },
    },
    WorkPool: {
      __resolveReference: (ref: { id: string }, ctx: OperationsContext) =>
        new WorkPoolService(ctx).visiblePool(ref.id),
    },
    WorkQueue: {
      __resolveReference: (ref: { id: string }, ctx: OperationsContext) =>
        new WorkPoolService(ctx).visibleQueue(ref.id),
    },
    Workspace: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) },
  }),
  consumers: () => ({
    ...flowConsumers,
    ...accountTeamConsumers,
    'workspace.deleted': async (p: { workspaceId: string }, em, event) => {
      await flowConsumers['workspace.deleted']!(p, em, event);
      await deleteWorkspaceConfiguration(p.workspaceId, em);
    },
  }),
  consumerGroups: (sub) => ({
    events: eventConsumers,
    automations: automationConsumers(sub),
    ...errorSummariesModule.consumerGroups,
  }),
  services: (sub) => [
    schedulerService(sub),
    lateRunsService(sub),
    workerLivenessService(sub),
    pauseExpiryService(sub),
    proactiveWindowsService(sub),
    webhookDeliveryService(sub),
    eventRetentionService(sub),
    zombieRunsService(sub),
    ...errorSummariesModule.services(sub),
  ],
};
