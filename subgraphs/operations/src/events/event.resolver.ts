import { GraphQLJSON } from 'graphql-scalars';
import { Arg, Ctx, Directive, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { OperationsContext } from '../context.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { Event } from './event.entity.js';
import type { EventJson } from './emit.js';
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

  @Directive('@inaccessible')
  @Query(() => [GraphQLJSON], {
    description:
      'Internal (gateway subscriptions): the workspace’s events stored after `since`, oldest first, as they travel on the bus (needs see_events).',
  })
  _eventsSince(
    @Arg('workspaceId', () => ID, { description: 'The workspace.' }) workspaceId: string,
    @Arg('since', () => ID, { description: 'The last event the subscriber saw.' }) since: string,
    @Arg('limit', () => Int, { description: 'At most this many (1 to 1000).' }) limit: number,
    @Ctx() ctx: OperationsContext,
  ): Promise<EventJson[]> {
    return new EventService(ctx).since(workspaceId, since, limit);
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
