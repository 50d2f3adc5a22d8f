import { Field, InputType, Int } from 'type-graphql';
import { CompoundRequirement, TriggerPosture } from './trigger.types.js';

@InputType({ description: 'A label condition: the label’s value matches one of the patterns.' })
export class LabelPatternInput {
  @Field(() => String, {
    description: 'Label name, 1 to 200 characters (`flowplane.resource.id` is the id itself).',
  })
  name!: string;

  @Field(() => [String], {
    description: 'Value patterns (1 to 20, each at most 1024 characters; `*` is a wildcard).',
  })
  values!: string[];
}

@InputType({ description: 'Which resources a trigger looks at; omitted lists match any.' })
export class EventResourceMatchInput {
  @Field(() => [String], {
    nullable: true,
    description: 'Resource id patterns (at most 20; `*` wildcard), e.g. `flowplane.flow-run.*`.',
  })
  ids?: string[] | null;

  @Field(() => [LabelPatternInput], {
    nullable: true,
    description: 'Label conditions (at most 20), all of which must hold.',
  })
  labels?: LabelPatternInput[] | null;
}

@InputType({ description: 'A related resource the events must have.' })
export class RelatedResourceMatchInput extends EventResourceMatchInput {
  @Field(() => String, {
    nullable: true,
    description: 'Its role (e.g. `deployment`); any if null.',
  })
  role?: string | null;
}

@InputType({ description: 'An event trigger (see EventTrigger).' })
export class EventTriggerInput {
  @Field(() => EventResourceMatchInput, {
    nullable: true,
    description: 'The resources whose events count (default: any).',
  })
  match?: EventResourceMatchInput | null;

  @Field(() => [RelatedResourceMatchInput], {
    nullable: true,
    description: 'Related resources the events must have (at most 10).',
  })
  matchRelated?: RelatedResourceMatchInput[] | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Event names (`prefix*` allowed; at most 20) that open the window.',
  })
  after?: string[] | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Event names (`prefix*` allowed; at most 20) that are counted; omitted: all.',
  })
  expect?: string[] | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Labels (at most 5) whose values split the trigger into buckets.',
  })
  forEach?: string[] | null;

  @Field(() => TriggerPosture, { nullable: true, description: 'Default REACTIVE.' })
  posture?: TriggerPosture | null;

  @Field(() => Int, { nullable: true, description: '1 to 10000 (default 1).' })
  threshold?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'The window in seconds, 0 to 2592000 (default 0; at least 1 when threshold > 1, at least 10 for PROACTIVE).',
  })
  withinSeconds?: number | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Event names (at most 20) that resolve a fired bucket of the same key.',
  })
  resolveOn?: string[] | null;
}

@InputType({ description: 'A compound trigger (see CompoundTrigger).' })
export class CompoundTriggerInput {
  @Field(() => CompoundRequirement, { description: 'ALL, ANY or AT_LEAST.' })
  require!: CompoundRequirement;

  @Field(() => Int, {
    nullable: true,
    description: 'For AT_LEAST: how many sub-triggers (1 to their number).',
  })
  atLeast?: number | null;

  @Field(() => Int, { description: 'The window in seconds, 0 to 2592000.' })
  withinSeconds!: number;

  @Field(() => [TriggerInput], {
    description: 'Sub-triggers (1 to 10; compound and sequence nest at most 2 levels deep).',
  })
  triggers!: TriggerInput[];
}

@InputType({ description: 'A sequence trigger (see SequenceTrigger).' })
export class SequenceTriggerInput {
  @Field(() => Int, { description: 'The window in seconds, 0 to 2592000.' })
  withinSeconds!: number;

  @Field(() => [TriggerInput], {
    description: 'Sub-triggers in order (1 to 10; nesting at most 2 levels deep).',
  })
  triggers!: TriggerInput[];
}

@InputType({
  description:
    'A trigger: exactly one of `event`, `compound` or `sequence` (GraphQL has no input unions).',
})
export class TriggerInput {
  @Field(() => EventTriggerInput, { nullable: true, description: 'An event trigger.' })
  event?: EventTriggerInput | null;

  @Field(() => CompoundTriggerInput, { nullable: true, description: 'A compound trigger.' })
  compound?: CompoundTriggerInput | null;

  @Field(() => SequenceTriggerInput, { nullable: true, description: 'A sequence trigger.' })
  sequence?: SequenceTriggerInput | null;
}
