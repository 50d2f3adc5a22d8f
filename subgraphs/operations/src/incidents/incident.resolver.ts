import {
  Arg,
  Args,
  Ctx,
  FieldResolver,
  ID,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
} from 'type-graphql';
import { ServiceAccountRef, UserRef } from '../../../../lib/entity-refs.js';
import { ConnectionArgs } from '../../../../lib/pagination.js';
import { servedByTheGateway } from '../../../../lib/subgraph.js';
import { Automation } from '../automations/automation.entity.js';
import { BlockDocument } from '../blocks/block-document.entity.js';
import type { OperationsContext } from '../context.js';
import { Deployment } from '../deployments/deployment.entity.js';
import { DeploymentService } from '../deployments/deployment.service.js';
import { resourceId } from '../event-store/emit.js';
import { Event } from '../event-store/event.entity.js';
import { FlowRun } from '../flow-runs/flow-run.entity.js';
import { FlowRunService } from '../flow-runs/flow-run.service.js';
import { Flow } from '../flows/flow.entity.js';
import { FlowService } from '../flows/flow.service.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { WorkPool } from '../work-pools/work-pool.entity.js';
import { WorkPoolService } from '../work-pools/work-pool.service.js';
import { WorkQueue } from '../work-pools/work-queue.entity.js';
import { Incident, IncidentResourceKind, IncidentStatus } from './incident.entity.js';
import { EVENT_KIND } from './incident.changes.js';
import {
  DeclareIncidentInput,
  IncidentCommentInput,
  IncidentFilter,
  UpdateIncidentInput,
} from './incident.inputs.js';
import { IncidentService, visibleBlockDocument } from './incident.service.js';
import {
  IncidentActor,
  IncidentChange,
  IncidentConnection,
  IncidentResource,
  IncidentTimelineConnection,
} from './incident.types.js';
import { ActorType } from '../../../../lib/graphql-enums.js';

@Resolver(() => Incident)
export class IncidentResolver {
  @Query(() => Incident, {
    nullable: true,
    description: 'An incident by id (needs see_incidents in its workspace; NOT_FOUND otherwise).',
  })
  incident(@Arg('id', () => ID) id: string, @Ctx() ctx: OperationsContext): Promise<Incident> {
    return new IncidentService(ctx).get(id);
  }

  @FieldResolver(() => Workspace, { description: 'The workspace it belongs to.' })
  workspace(@Root() i: Incident): Workspace {
    return { id: i.workspaceId };
  }

  @FieldResolver(() => [IncidentResource], {
    description: 'Workspace objects named as related (flow runs, deployments, work pools, …).',
  })
  relatedResources(
    @Root() i: Incident,
    @Ctx() ctx: OperationsContext,
  ): Promise<IncidentResource[]> {
    return new IncidentService(ctx).resources(i);
  }

  @FieldResolver(() => IncidentActor, {
    description: 'Who declared it: a user, a service account or an automation.',
  })
  declaredBy(@Root() i: Incident): IncidentActor {
    return { type: i.declaredByType, id: i.declaredById };
  }

  @FieldResolver(() => IncidentTimelineConnection, {
    description:
      'Its history, oldest first: declaration, field changes, comments, resolutions and reopenings (read from its events).',
  })
  timeline(
    @Root() i: Incident,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() ctx: OperationsContext,
  ): Promise<IncidentTimelineConnection> {
    return new IncidentService(ctx).timeline(i, args);
  }

  @Mutation(() => Incident, {
    description:
      'Declare an incident, by hand or from a resource (needs manage_incidents); emits `flowplane.incident.declared`.',
  })
  declareIncident(
    @Arg('input', () => DeclareIncidentInput) input: DeclareIncidentInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Incident> {
    return new IncidentService(ctx).declare(input);
  }

  @Mutation(() => Incident, {
    description:
      'Change fields of an incident (needs manage_incidents); one `flowplane.incident.updated.<field>` event per changed field.',
  })
  updateIncident(
    @Arg('input', () => UpdateIncidentInput) input: UpdateIncidentInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Incident> {
    return new IncidentService(ctx).update(input);
  }

  @Mutation(() => Incident, {
    description: 'Comment on an incident (needs manage_incidents); the comment joins its timeline.',
  })
  commentOnIncident(
    @Arg('input', () => IncidentCommentInput) input: IncidentCommentInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Incident> {
    return new IncidentService(ctx).comment(input);
  }

  @Mutation(() => Incident, {
    description:
      'Resolve an active incident: its end time is now (needs manage_incidents; CONFLICT when already resolved).',
  })
  resolveIncident(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: OperationsContext,
  ): Promise<Incident> {
    return new IncidentService(ctx).setStatus(id, IncidentStatus.RESOLVED);
  }

  @Mutation(() => Incident, {
    description:
      'Reopen a resolved incident: active again, end time cleared (needs manage_incidents; CONFLICT when active).',
  })
  reopenIncident(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: OperationsContext,
  ): Promise<Incident> {
    return new IncidentService(ctx).setStatus(id, IncidentStatus.ACTIVE);
  }
}

@Resolver(() => IncidentChange)
export class IncidentChangeResolver {
  @Query(() => IncidentChange, {
    nullable: true,
    description:
      'The incident change an event records; null when the event is not an incident change you may see (needs see_incidents).',
  })
  incidentChange(
    @Arg('id', () => ID, { description: 'The event id.' }) id: string,
    @Ctx() ctx: OperationsContext,
  ): Promise<IncidentChange | null> {
    return new IncidentService(ctx).change(id);
  }

  @FieldResolver(() => Incident, {
    nullable: true,
    description: 'The incident as it is now (null when it is gone).',
  })
  incident(@Root() c: IncidentChange, @Ctx() ctx: OperationsContext): Promise<Incident | null> {
    return new IncidentService(ctx).visible(c.incidentId);
  }

  @FieldResolver(() => Event, { description: 'The event that records the change.' })
  event(@Root() c: IncidentChange): Event {
    return c.event;
  }

  @Subscription(() => IncidentChange, {
    description:
      'Changes of the workspace’s incidents as they happen (needs see_incidents). Served by the gateway over graphql-ws; `since` (an event id) replays the changes stored after it first.',
    subscribe: servedByTheGateway,
  })
  incidentChanges(
    @Root() change: IncidentChange,
    @Arg('since', () => ID, {
      nullable: true,
      description: 'Resume after this event id: stored changes after it are sent first.',
    })
    _since: string | null,
    @Arg('workspaceId', () => ID, { description: 'The workspace to follow.' })
    _workspaceId: string,
  ): IncidentChange {
    return change;
  }
}

@Resolver(() => IncidentResource)
export class IncidentResourceResolver {
  @FieldResolver(() => String, {
    description: 'Its id as events name it (`flowplane.<kind>.<id>`), for event filters.',
  })
  eventResourceId(@Root() r: IncidentResource): string {
    return resourceId(EVENT_KIND[r.kind], r.id);
  }

  @FieldResolver(() => FlowRun, { nullable: true, description: 'The flow run, when FLOW_RUN.' })
  flowRun(@Root() r: IncidentResource, @Ctx() ctx: OperationsContext): Promise<FlowRun | null> {
    return r.kind === IncidentResourceKind.FLOW_RUN
      ? new FlowRunService(ctx).visible(r.id)
      : Promise.resolve(null);
  }

  @FieldResolver(() => Deployment, {
    nullable: true,
    description: 'The deployment, when DEPLOYMENT.',
  })
  deployment(
    @Root() r: IncidentResource,
    @Ctx() ctx: OperationsContext,
  ): Promise<Deployment | null> {
    return r.kind === IncidentResourceKind.DEPLOYMENT
      ? new DeploymentService(ctx).visible(r.id)
      : Promise.resolve(null);
  }

  @FieldResolver(() => WorkPool, { nullable: true, description: 'The work pool, when WORK_POOL.' })
  workPool(@Root() r: IncidentResource, @Ctx() ctx: OperationsContext): Promise<WorkPool | null> {
    return r.kind === IncidentResourceKind.WORK_POOL
      ? new WorkPoolService(ctx).visiblePool(r.id)
      : Promise.resolve(null);
  }

  @FieldResolver(() => WorkQueue, {
    nullable: true,
    description: 'The work queue, when WORK_QUEUE.',
  })
  workQueue(@Root() r: IncidentResource, @Ctx() ctx: OperationsContext): Promise<WorkQueue | null> {
    return r.kind === IncidentResourceKind.WORK_QUEUE
      ? new WorkPoolService(ctx).visibleQueue(r.id)
      : Promise.resolve(null);
  }

  @FieldResolver(() => Flow, { nullable: true, description: 'The flow, when FLOW.' })
  flow(
    @Root() r: IncidentResource,
    @Ctx() ctx: OperationsContext,
  ): Flow | null | Promise<Flow | null> {
    return r.kind === IncidentResourceKind.FLOW ? new FlowService(ctx).reference(r.id) : null;
  }

  @FieldResolver(() => BlockDocument, {
    nullable: true,
    description: 'The block document, when BLOCK_DOCUMENT.',
  })
  blockDocument(
    @Root() r: IncidentResource,
    @Ctx() ctx: OperationsContext,
  ): Promise<BlockDocument | null> {
    return r.kind === IncidentResourceKind.BLOCK_DOCUMENT
      ? visibleBlockDocument(ctx, r.id)
      : Promise.resolve(null);
  }
}

@Resolver(() => IncidentActor)
export class IncidentActorResolver {
  @FieldResolver(() => UserRef, { nullable: true, description: 'The user, when USER.' })
  user(@Root() a: IncidentActor): UserRef | null {
    return a.type === ActorType.USER ? { id: a.id } : null;
  }

  @FieldResolver(() => ServiceAccountRef, {
    nullable: true,
    description: 'The service account, when SERVICE_ACCOUNT.',
  })
  serviceAccount(@Root() a: IncidentActor): ServiceAccountRef | null {
    return a.type === ActorType.SERVICE_ACCOUNT ? { id: a.id } : null;
  }

  @FieldResolver(() => Automation, {
    nullable: true,
    description: 'The automation, when AUTOMATION (null when deleted or hidden from you).',
  })
  automation(@Root() a: IncidentActor, @Ctx() ctx: OperationsContext): Promise<Automation | null> {
    return a.type === ActorType.AUTOMATION
      ? new IncidentService(ctx).visibleAutomation(a.id)
      : Promise.resolve(null);
  }
}

@Resolver(() => Workspace)
export class WorkspaceIncidentsResolver {
  @FieldResolver(() => IncidentConnection, {
    description: 'Incidents of the workspace, oldest first (needs see_incidents).',
  })
  incidents(
    @Root() workspace: Workspace,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => IncidentFilter, {
      nullable: true,
      description: 'Which incidents to list.',
    })
    filter: IncidentFilter | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<IncidentConnection> {
    return new IncidentService(ctx).list(workspace.id, args, filter);
  }
}
