import { servedByTheGateway } from '../../../../lib/subgraph.js';
import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import { Event } from '../event-store/event.entity.js';
import { EventFilter, FlowRunEventFilter } from './event.inputs.js';
import { FlowRunEvent } from './flow-run-event.types.js';

/**
 * Subscriptions are declared here, where their types live, so that the supergraph and codegen
 * know them; the gateway serves them over graphql-ws on /graphql (ARCHITECTURE.md
 * "Subscriptions"), answering each live event by running the selection set as the query
 * `flowRunEvent(id)` / `event(id)`. A subgraph asked to subscribe refuses.
 */
@Resolver()
export class EventSubscriptionResolver {
  @Subscription(() => FlowRunEvent, {
    subscribe: servedByTheGateway,
    description:
      'State changes of the workspace’s flow runs, live and in order (needs see_events); `since` replays those after an event id first. Served by the gateway over graphql-ws.',
  })
  flowRunEvents(
    @Root() e: FlowRunEvent,
    @Arg('workspaceId', () => ID, { description: 'The workspace.' }) _workspaceId: string,
    @Arg('filter', () => FlowRunEventFilter, {
      nullable: true,
      description: 'Which runs and state types.',
    })
    _filter: FlowRunEventFilter | null,
    @Arg('since', () => ID, {
      nullable: true,
      description: 'Replay the state changes after this event id first (reconnect backfill).',
    })
    _since: string | null,
  ): FlowRunEvent {
    return e;
  }

  @Subscription(() => Event, {
    subscribe: servedByTheGateway,
    description:
      'Events of the workspace, live and in order (needs see_events); `since` replays those after an event id first. Served by the gateway over graphql-ws.',
  })
  events(
    @Root() e: Event,
    @Arg('workspaceId', () => ID, { description: 'The workspace.' }) _workspaceId: string,
    @Arg('filter', () => EventFilter, {
      nullable: true,
      description: 'Which events.',
    })
    _filter: EventFilter | null,
    @Arg('since', () => ID, {
      nullable: true,
      description: 'Replay the events after this event id first (reconnect backfill).',
    })
    _since: string | null,
    @Arg('replayFrom', () => Date, {
      nullable: true,
      description:
        'Replay the stored events that occurred at or after this time first (with `since`: those after it too).',
    })
    _replayFrom: Date | null,
  ): Event {
    return e;
  }
}
