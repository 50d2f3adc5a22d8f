import { Field, InputType, ObjectType } from 'type-graphql';
import { IncidentSeverity } from './incident.entity.js';

export const MAX_NAME_TEMPLATE = 1000;

@InputType({
  description:
    'DECLARE_INCIDENT: the incident to declare. Name and summary are templates over `event` (the triggering event), `automation` and `firing`, e.g. "{{ event.resource.name }} failed"; related resources are the objects the triggering event names.',
})
export class IncidentActionInput {
  @Field(() => String, {
    description: 'Name template (at most 1000 characters; the result is cut to 200).',
  })
  name!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Summary template (at most 10,000 characters).',
  })
  summary?: string | null;

  @Field(() => IncidentSeverity, { description: 'Severity of the declared incident.' })
  severity!: IncidentSeverity;

  @Field(() => [String], { nullable: true, description: 'Tags of the declared incident.' })
  tags?: string[] | null;
}

@ObjectType({ description: 'DECLARE_INCIDENT: the incident an action declares.' })
export class IncidentActionSettings {
  @Field(() => String, { description: 'Name template.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Summary template.' })
  summary?: string | null;

  @Field(() => IncidentSeverity, { description: 'Severity.' })
  severity!: IncidentSeverity;

  @Field(() => [String], { description: 'Tags.' })
  tags!: string[];
}
