import { Field, ID, InputType } from 'type-graphql';
import { IncidentResourceKind, IncidentSeverity, IncidentStatus } from './incident.entity.js';

@InputType({ description: 'A workspace object to name as related to an incident.' })
export class IncidentResourceInput {
  @Field(() => IncidentResourceKind, { description: 'What kind of object.' })
  kind!: IncidentResourceKind;

  @Field(() => ID, { description: 'Its id; it must exist in the incident’s workspace.' })
  id!: string;
}

@InputType({
  description:
    'Declares an incident: by hand, or from a resource (name the resource in relatedResources).',
})
export class DeclareIncidentInput {
  @Field(() => ID, { description: 'The workspace the disruption is in.' })
  workspaceId!: string;

  @Field(() => String, { description: 'Short title (1 to 200 characters).' })
  name!: string;

  @Field(() => String, {
    nullable: true,
    description: 'What is going on, in Markdown (at most 10,000 characters).',
  })
  summary?: string | null;

  @Field(() => IncidentSeverity, { description: 'How bad it is.' })
  severity!: IncidentSeverity;

  @Field(() => Date, {
    nullable: true,
    description: 'When the disruption began (not in the future); now when omitted.',
  })
  startTime?: Date | null;

  @Field(() => [IncidentResourceInput], {
    nullable: true,
    description: 'Related objects of the workspace (at most 50).',
  })
  relatedResources?: IncidentResourceInput[] | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Tags (at most 50, each 1 to 100 characters).',
  })
  tags?: string[] | null;
}

@InputType({
  description:
    'Changes fields of an incident; omitted fields stay. Each changed field becomes one timeline entry.',
})
export class UpdateIncidentInput {
  @Field(() => ID, { description: 'The incident.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New title (1 to 200 characters).' })
  name?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'New summary (at most 10,000 characters); an explicit null clears it.',
  })
  summary?: string | null;

  @Field(() => IncidentSeverity, { nullable: true, description: 'New severity.' })
  severity?: IncidentSeverity | null;

  @Field(() => Date, {
    nullable: true,
    description: 'New start time (not in the future, not after the end time).',
  })
  startTime?: Date | null;

  @Field(() => [IncidentResourceInput], {
    nullable: true,
    description: 'Replaces the related objects (at most 50).',
  })
  relatedResources?: IncidentResourceInput[] | null;

  @Field(() => [String], { nullable: true, description: 'Replaces the tags.' })
  tags?: string[] | null;
}

@InputType({ description: 'Adds a comment to an incident’s timeline.' })
export class IncidentCommentInput {
  @Field(() => ID, { description: 'The incident.' })
  incidentId!: string;

  @Field(() => String, { description: 'The comment, in Markdown (1 to 10,000 characters).' })
  body!: string;
}

@InputType({ description: 'Which incidents to list; conditions combine with AND.' })
export class IncidentFilter {
  @Field(() => IncidentStatus, { nullable: true, description: 'Only ACTIVE or only RESOLVED.' })
  status?: IncidentStatus | null;

  @Field(() => [IncidentSeverity], {
    nullable: true,
    description: 'Any of these severities.',
  })
  severities?: IncidentSeverity[] | null;

  @Field(() => [String], { nullable: true, description: 'Carrying every one of these tags.' })
  tags?: string[] | null;

  @Field(() => ID, {
    nullable: true,
    description: 'Naming this object (of any kind) as related.',
  })
  relatedResourceId?: string | null;
}
