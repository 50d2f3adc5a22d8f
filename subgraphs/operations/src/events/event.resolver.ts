import { GraphQLJSON } from 'graphql-scalars';
import {
  Arg,
  Args,
  Ctx,
  Directive,
  FieldResolver,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { ConnectionArgs } from '../../../../lib/pagination.js';
import type { OperationsContext } from '../context.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { Event } from '../event-store/event.entity.js';
import type { EventJson } from '../event-store/emit.js';
import {
  EmitEventsInput,
  EventConnection,
  EventCount,
  EventCountBy,
  EventFilter,
  EventOrder,
  SetEventRetentionInput,
  TimeBucket,
} from './event.inputs.js';
import { EventService } from './event.service.js';
import { EventResource, toEventResource } from './event.types.js';

@Resolver(() => Event)
export class EventResolver {
  @Query(() => Event, {
    nullable: true,
    description: 'An event by id (needs see_events in its workspace; NOT_FOUND otherwise).',
  })
  event(@Arg('id', () => ID) id: string, @Ctx() ctx: OperationsContext): Promise<Event> {
    return new EventService(ctx).get(id);
  }

  @Query(() => [EventCount], {
    description:
      'How many of the workspace’s events match, by event name, resource or time bucket, for charts (needs see_events; at most 1000 groups).',
  })
  eventCounts(
    @Arg('workspaceId', () => ID, { description: 'The workspace.' }) workspaceId: string,
    @Arg('filter', () => EventFilter, {
      description: 'Which events (the window defaults to the last 24 hours).',
    })
    filter: EventFilter,
    @Arg('countBy', () => EventCountBy, { description: 'What to group by.' })
    countBy: EventCountBy,
    @Arg('bucket', () => TimeBucket, {
      nullable: true,
      description: 'Bucket size, for countBy TIME.',
    })
    bucket: TimeBucket | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<EventCount[]> {
    return new EventService(ctx).counts(workspaceId, filter, countBy, bucket);
  }

  @Mutation(() => Int, {
    description:
      'Store events in the workspace’s event store, all or none (needs write_events); returns how many were stored (ids already stored are skipped).',
  })
  emitEvents(
    @Arg('input', () => EmitEventsInput) input: EmitEventsInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<number> {
    return new EventService(ctx).emit(input);
  }

  @Mutation(() => Workspace, {
    description:
      'Set how many days the workspace keeps its events, 1 to 365 (needs manage_workspace_settings).',
  })
  setEventRetention(
    @Arg('input', () => SetEventRetentionInput) input: SetEventRetentionInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Workspace> {
    return new EventService(ctx).setRetention(input);
  }

  @Directive('@inaccessible')
  @Query(() => [GraphQLJSON], {
    description:
      'Internal (gateway subscriptions): the workspace’s events stored after `since` and/or that occurred at or after `occurredFrom`, in store order, as they travel on the bus (needs see_events).',
  })
  _eventsSince(
    @Arg('workspaceId', () => ID, { description: 'The workspace.' }) workspaceId: string,
    @Arg('since', () => ID, { nullable: true, description: 'The last event the subscriber saw.' })
    since: string | null,
    @Arg('limit', () => Int, { description: 'At most this many (1 to 1000).' }) limit: number,
    @Arg('occurredFrom', () => Date, {
      nullable: true,
      description: 'Only events that occurred at or after this time.',
    })
    occurredFrom: Date | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<EventJson[]> {
    return new EventService(ctx).since(workspaceId, since, limit, occurredFrom);
  }

  @FieldResolver(() => EventResource, { description: 'The resource the event is about.' })
  resource(@Root() e: Event): EventResource {
    return toEventResource(e.resource, true);
  }

  @FieldResolver(() => [EventResource], { description: 'Resources related to the event.' })
  related(@Root() e: Event): EventResource[] {
    return e.related.map((r) => toEventResource(r, false));
  }

  @FieldResolver(() => Workspace, { description: 'The workspace it happened in.' })
  workspace(@Root() e: Event): Workspace {
    return { id: e.workspaceId };
  }
}

@Resolver(() => Workspace)
export class WorkspaceEventsResolver {
  @FieldResolver(() => EventConnection, {
    description:
      'Events of the workspace within a time window (default the last 24 hours), newest first by default (needs see_events).',
  })
  events(
    @Root() workspace: Workspace,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => EventFilter, { nullable: true, description: 'Which events.' })
    filter: EventFilter | null,
    @Arg('order', () => EventOrder, {
      defaultValue: EventOrder.OCCURRED_DESC,
      description: 'Newest or oldest first.',
    })
    order: EventOrder,
    @Ctx() ctx: OperationsContext,
  ): Promise<EventConnection> {
    return new EventService(ctx).list(workspace.id, args, filter, order);
  }

  @FieldResolver(() => Int, {
    description: 'Days the workspace keeps its events (default 30).',
  })
  eventRetentionDays(@Root() workspace: Workspace, @Ctx() ctx: OperationsContext): Promise<number> {
    return new EventService(ctx).retention(workspace.id);
  }
}
