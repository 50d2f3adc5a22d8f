import { GraphQLJSON } from 'graphql-scalars';
import { Field, Float, InputType, ObjectType } from 'type-graphql';
import { RunState } from './run-state.entity.js';
import { SetStateStatus, StateType } from './state-type.js';

@InputType({ description: 'A state a client proposes for a run.' })
export class StateInput {
  @Field(() => StateType, { description: 'State type.' })
  type!: StateType;

  @Field(() => String, {
    nullable: true,
    description: 'Display name (sub-state), e.g. Late or AwaitingRetry; defaults to the type.',
  })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'A message, at most 10000 characters.' })
  message?: string | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description:
      'Details: a JSON object; recognised keys are scheduledTime (ISO time), pauseTimeoutSeconds, transitionId, cacheKey.',
  })
  details?: unknown;
}

@ObjectType({ description: 'The outcome of proposing a state: a domain answer, not an error.' })
export class SetStateResult {
  @Field(() => SetStateStatus, { description: 'ACCEPT, REJECT, WAIT or ABORT.' })
  status!: SetStateStatus;

  @Field(() => String, { nullable: true, description: 'Why, for anything but ACCEPT.' })
  reason?: string | null;

  @Field(() => Float, {
    nullable: true,
    description: 'For WAIT: seconds to wait before proposing again.',
  })
  delaySeconds?: number | null;

  @Field(() => RunState, { description: 'The run’s current state after the call.' })
  state!: RunState;
}
