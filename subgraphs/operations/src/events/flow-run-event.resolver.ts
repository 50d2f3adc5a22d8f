import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { OperationsContext } from '../context.js';
import { FlowRun } from '../flow-runs/flow-run.entity.js';
import { FlowRunService } from '../flow-runs/flow-run.service.js';
import { EventService } from './event.service.js';
import { FlowRunEvent } from './flow-run-event.types.js';

@Resolver(() => FlowRunEvent)
export class FlowRunEventResolver {
  @Query(() => FlowRunEvent, {
    nullable: true,
    description:
      'A flow-run state change by its event id (needs see_events; NOT_FOUND like `event`); null when the event is not a flow-run state event.',
  })
  flowRunEvent(
    @Arg('id', () => ID, { description: 'The event id.' }) id: string,
    @Ctx() ctx: OperationsContext,
  ): Promise<FlowRunEvent | null> {
    return new EventService(ctx).flowRunEvent(id);
  }

  @FieldResolver(() => FlowRun, {
    nullable: true,
    description: 'The run (null when it was deleted or without see_flow_runs).',
  })
  flowRun(@Root() e: FlowRunEvent, @Ctx() ctx: OperationsContext): Promise<FlowRun | null> {
    return new FlowRunService(ctx).visible(e.flowRunId);
  }
}
