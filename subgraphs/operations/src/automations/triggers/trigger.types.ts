import { createUnionType, Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { TriggerSpec } from './trigger.schema.js';

export enum TriggerPosture {
  REACTIVE = 'REACTIVE',
  PROACTIVE = 'PROACTIVE',
}
registerEnumType(TriggerPosture, {
  name: 'TriggerPosture',
  description: 'Whether an event trigger fires on events that arrive, or on events that do not.',
  valuesConfig: {
    REACTIVE: {
      description: 'Fires when at least `threshold` expected events arrive within the window.',
    },
    PROACTIVE: {
      description: 'Fires when fewer than `threshold` expected events arrived by the window’s end.',
    },
  },
});

export enum CompoundRequirement {
  ALL = 'ALL',
  ANY = 'ANY',
  AT_LEAST = 'AT_LEAST',
}
registerEnumType(CompoundRequirement, {
  name: 'CompoundRequirement',
  description: 'How many sub-triggers of a compound trigger must fire within its window.',
  valuesConfig: {
    ALL: { description: 'Every sub-trigger.' },
    ANY: { description: 'One sub-trigger.' },
    AT_LEAST: { description: 'At least `atLeast` sub-triggers.' },
  },
});

@ObjectType({ description: 'A label condition: the label’s value matches one of the patterns.' })
export class LabelPattern {
  @Field(() => String, {
    description: 'Label name (`flowplane.resource.id` is the resource id itself).',
  })
  name!: string;

  @Field(() => [String], { description: 'Value patterns; `*` matches any run of characters.' })
  values!: string[];
}

@ObjectType({ description: 'Which resources a trigger looks at; empty lists match any.' })
export class EventResourceMatch {
  @Field(() => [String], {
    description: 'Resource id patterns (`*` wildcard), e.g. `flowplane.flow-run.*`.',
  })
  ids!: string[];

  @Field(() => [LabelPattern], { description: 'Label conditions, all of which must hold.' })
  labels!: LabelPattern[];
}

@ObjectType({ description: 'A related resource an event must have.' })
export class RelatedResourceMatch extends EventResourceMatch {
  @Field(() => String, {
    nullable: true,
    description: 'Its role (e.g. `deployment`); any if null.',
  })
  role?: string | null;
}

@ObjectType({
  description:
    'Fires on events about matching resources: REACTIVE when `threshold` expected events arrive within the window, PROACTIVE when fewer arrive.',
})
export class EventTrigger {
  @Field(() => EventResourceMatch, { description: 'The resources whose events count.' })
  match!: EventResourceMatch;

  @Field(() => [RelatedResourceMatch], {
    description: 'Related resources the events must have (each matched by one).',
  })
  matchRelated!: RelatedResourceMatch[];

  @Field(() => [String], {
    description: 'Event names (`prefix*` allowed) that open the window; empty: see `posture`.',
  })
  after!: string[];

  @Field(() => [String], {
    description: 'Event names (`prefix*` allowed) that are counted; empty: every event.',
  })
  expect!: string[];

  @Field(() => [String], {
    description: 'Labels of the resource whose values split the trigger into separate buckets.',
  })
  forEach!: string[];

  @Field(() => TriggerPosture, { description: 'REACTIVE or PROACTIVE.' })
  posture!: TriggerPosture;

  @Field(() => Int, { description: 'How many expected events make (or avoid) a firing.' })
  threshold!: number;

  @Field(() => Int, { description: 'The window, in seconds.' })
  withinSeconds!: number;

  @Field(() => [String], {
    description:
      'Event names that resolve a fired bucket of the same key (a PROACTIVE one also resolves on an expected event).',
  })
  resolveOn!: string[];
}

@ObjectType({ description: 'Fires when enough of its sub-triggers fire within its window.' })
export class CompoundTrigger {
  @Field(() => CompoundRequirement, { description: 'ALL, ANY or AT_LEAST.' })
  require!: CompoundRequirement;

  @Field(() => Int, { nullable: true, description: 'For AT_LEAST: how many.' })
  atLeast?: number | null;

  @Field(() => Int, { description: 'The window, in seconds.' })
  withinSeconds!: number;

  @Field(() => [AutomationTrigger], { description: 'The sub-triggers.' })
  triggers!: (typeof AutomationTrigger)[];
}

@ObjectType({ description: 'Fires when its sub-triggers fire in order within its window.' })
export class SequenceTrigger {
  @Field(() => Int, { description: 'The window, in seconds, from the first sub-trigger.' })
  withinSeconds!: number;

  @Field(() => [AutomationTrigger], { description: 'The sub-triggers, in order.' })
  triggers!: (typeof AutomationTrigger)[];
}

export const AutomationTrigger = createUnionType({
  name: 'AutomationTrigger',
  description: 'What makes an automation fire: an event, compound or sequence trigger.',
  types: () => [EventTrigger, CompoundTrigger, SequenceTrigger] as const,
});

/** The typed view of a stored trigger. */
export function toTrigger(spec: TriggerSpec): EventTrigger | CompoundTrigger | SequenceTrigger {
  switch (spec.kind) {
    case 'event':
      return Object.assign(new EventTrigger(), {
        match: Object.assign(new EventResourceMatch(), spec.match),
        matchRelated: spec.matchRelated.map((m) => Object.assign(new RelatedResourceMatch(), m)),
        after: spec.after,
        expect: spec.expect,
        forEach: spec.forEach,
        posture: spec.posture as TriggerPosture,
        threshold: spec.threshold,
        withinSeconds: spec.withinSeconds,
        resolveOn: spec.resolveOn,
      });
    case 'compound':
      return Object.assign(new CompoundTrigger(), {
        require: spec.require as CompoundRequirement,
        atLeast: spec.atLeast,
        withinSeconds: spec.withinSeconds,
        triggers: spec.triggers.map(toTrigger),
      });
    case 'sequence':
      return Object.assign(new SequenceTrigger(), {
        withinSeconds: spec.withinSeconds,
        triggers: spec.triggers.map(toTrigger),
      });
  }
}
