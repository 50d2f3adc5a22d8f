import { Field, ID, ObjectType } from 'type-graphql';
import { FLOW_RUN_STATE_PREFIX } from '../../../../lib/event-filter.js';
import { StateType, STATE_TYPES } from '../orchestration/state-type.js';
import { Event } from '../event-store/event.entity.js';

/** A flow run's state change as a dashboard follows it: the stored event, read as a transition. */
@ObjectType({
  description:
    'A state change of a flow run (a `flowplane.flow-run.<State>` event) with the run it happened to.',
})
export class FlowRunEvent {
  @Field(() => ID, { description: 'The event id (subscribers de-duplicate by it).' })
  id!: string;

  @Field(() => Event, { description: 'The stored event.' })
  event!: Event;

  @Field(() => Date, { description: 'When the run entered the state.' })
  occurred!: Date;

  /** The run's id (the `flowRun` field loads it). */
  flowRunId!: string;

  @Field(() => StateType, {
    nullable: true,
    description: 'Type of the state it left; null for the run’s first state.',
  })
  from?: StateType | null;

  @Field(() => String, { nullable: true, description: 'Display name of the state it left.' })
  fromName?: string | null;

  @Field(() => StateType, { description: 'Type of the state it entered.' })
  to!: StateType;

  @Field(() => String, { description: 'Display name of the state it entered (e.g. Late).' })
  toName!: string;

  @Field(() => String, { nullable: true, description: 'The new state’s message.' })
  message?: string | null;
}

const stateType = (v: unknown): StateType | null =>
  typeof v === 'string' && (STATE_TYPES as string[]).includes(v) ? (v as StateType) : null;

type StateJson = { type?: unknown; name?: unknown; message?: unknown } | null | undefined;

/** Reads a stored event as a flow-run state change; null for any other event. */
export function toFlowRunEvent(e: Event): FlowRunEvent | null {
  if (!e.name.startsWith(FLOW_RUN_STATE_PREFIX)) return null;
  if (!e.resourceId.startsWith(FLOW_RUN_STATE_PREFIX)) return null;
  const validated = e.payload.validatedState as StateJson;
  const to = stateType(validated?.type);
  if (!validated || !to) return null;
  const initial = e.payload.initialState as StateJson;
  return Object.assign(new FlowRunEvent(), {
    id: e.id,
    event: e,
    occurred: e.occurred,
    flowRunId: e.resourceId.slice(FLOW_RUN_STATE_PREFIX.length),
    from: stateType(initial?.type),
    fromName: typeof initial?.name === 'string' ? initial.name : null,
    to,
    toName: typeof validated.name === 'string' ? validated.name : to,
    message: typeof validated.message === 'string' ? validated.message : null,
  });
}
