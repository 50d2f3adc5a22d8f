import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { connectionType } from '../../../../lib/pagination.js';
import { AutomationActionInput } from './actions/action.inputs.js';
import { Automation } from './automation.entity.js';
import { TriggerInput } from './triggers/trigger.inputs.js';

@InputType({ description: 'A new automation.' })
export class CreateAutomationInput {
  @Field(() => ID, { description: 'The workspace it belongs to.' })
  workspaceId!: string;

  @Field(() => String, { description: 'Name (1 to 200 characters).' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Description (at most 5000 characters).' })
  description?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Whether it starts enabled (default true).',
  })
  enabled?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The resource that owns it (at most 500 characters, e.g. `prefect.deployment.<id>`), for deleteAutomationsOwnedBy.',
  })
  ownerResource?: string | null;

  @Field(() => TriggerInput, { description: 'What makes it fire.' })
  trigger!: TriggerInput;

  @Field(() => [AutomationActionInput], {
    nullable: true,
    description: 'Actions run when it triggers (at most 20).',
  })
  actions?: AutomationActionInput[] | null;

  @Field(() => [AutomationActionInput], {
    nullable: true,
    description: 'More actions run when it triggers, after `actions` (at most 20).',
  })
  actionsOnTrigger?: AutomationActionInput[] | null;

  @Field(() => [AutomationActionInput], {
    nullable: true,
    description: 'Actions run when a firing resolves (at most 20).',
  })
  actionsOnResolve?: AutomationActionInput[] | null;
}

@InputType({ description: 'Changes to an automation; omitted fields stay as they are.' })
export class UpdateAutomationInput {
  @Field(() => ID, { description: 'The automation.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'Name (1 to 200 characters).' })
  name?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Description (at most 5000 characters; "" clears it).',
  })
  description?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Enable or disable it.' })
  enabled?: boolean | null;

  @Field(() => TriggerInput, {
    nullable: true,
    description: 'A new trigger (its evaluation starts afresh).',
  })
  trigger?: TriggerInput | null;

  @Field(() => [AutomationActionInput], { nullable: true, description: 'Replaces `actions`.' })
  actions?: AutomationActionInput[] | null;

  @Field(() => [AutomationActionInput], {
    nullable: true,
    description: 'Replaces `actionsOnTrigger`.',
  })
  actionsOnTrigger?: AutomationActionInput[] | null;

  @Field(() => [AutomationActionInput], {
    nullable: true,
    description: 'Replaces `actionsOnResolve`.',
  })
  actionsOnResolve?: AutomationActionInput[] | null;
}

@InputType({ description: 'Enables or disables an automation.' })
export class SetAutomationEnabledInput {
  @Field(() => ID, { description: 'The automation.' })
  id!: string;

  @Field(() => Boolean, { description: 'Enabled (evaluation starts afresh) or disabled.' })
  enabled!: boolean;
}

@InputType({ description: 'Which automations to list; conditions combine with AND.' })
export class AutomationFilter {
  @Field(() => Boolean, { nullable: true, description: 'Only enabled (or disabled) ones.' })
  enabled?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Name starts with this prefix.' })
  namePrefix?: string | null;
}

@ObjectType({ description: 'The evaluation state of one trigger for one forEach key.' })
export class AutomationBucketState {
  @Field(() => String, {
    description: 'Which (sub-)trigger: `t` is the root, `t.1` its second sub-trigger.',
  })
  triggerPath!: string;

  @Field(() => [String], { description: 'The forEach values of this bucket.' })
  key!: string[];

  @Field(() => Date, { nullable: true, description: 'Start of the open window, if any.' })
  windowStart?: Date | null;

  @Field(() => Date, { nullable: true, description: 'End of the open window, if any.' })
  windowEnd?: Date | null;

  @Field(() => Int, { description: 'Expected events counted in the open window.' })
  count!: number;

  @Field(() => Date, { nullable: true, description: 'When it last fired.' })
  firedAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'When its last firing resolved.' })
  resolvedAt?: Date | null;

  @Field(() => Boolean, { description: 'Fired and not resolved since.' })
  triggered!: boolean;
}

@ObjectType({ description: 'Where an automation’s evaluation stands.' })
export class AutomationState {
  @Field(() => Boolean, { description: 'Whether some firing of the automation is unresolved.' })
  triggered!: boolean;

  @Field(() => [AutomationBucketState], {
    description: 'Its buckets, most recently changed first (at most 100).',
  })
  buckets!: AutomationBucketState[];
}

export const AutomationConnection = connectionType(Automation, 'Automation');
export type AutomationConnection = InstanceType<typeof AutomationConnection>;
