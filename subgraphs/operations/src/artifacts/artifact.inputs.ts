import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType } from 'type-graphql';
import { connectionType } from '../../../../lib/pagination.js';
import { Artifact, ArtifactType } from './artifact.entity.js';

@InputType({ description: 'A new artifact.' })
export class CreateArtifactInput {
  @Field(() => ID, { description: 'The workspace it belongs to.' })
  workspaceId!: string;

  @Field(() => String, { nullable: true, description: 'Key: 1 to 200 of a-z, 0-9 and "-".' })
  key?: string | null;

  @Field(() => ArtifactType, { description: 'What it holds.' })
  type!: ArtifactType;

  @Field(() => GraphQLJSON, { description: 'The content, shaped by the type (at most 1 MiB).' })
  data!: unknown;

  @Field(() => String, { nullable: true, description: 'Description (at most 10,000 characters).' })
  description?: string | null;

  @Field(() => ID, { nullable: true, description: 'The flow run that made it.' })
  flowRunId?: string | null;

  @Field(() => ID, { nullable: true, description: 'The task run that made it.' })
  taskRunId?: string | null;
}

@InputType({ description: 'Which artifacts to list; conditions combine with AND.' })
export class ArtifactFilter {
  @Field(() => String, { nullable: true, description: 'Artifacts with this key.' })
  key?: string | null;

  @Field(() => ArtifactType, { nullable: true, description: 'Artifacts of this type.' })
  type?: ArtifactType | null;

  @Field(() => ID, { nullable: true, description: 'Artifacts of this flow run.' })
  flowRunId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Artifacts of this task run.' })
  taskRunId?: string | null;
}

export const ArtifactConnection = connectionType(Artifact, 'Artifact');
export type ArtifactConnection = InstanceType<typeof ArtifactConnection>;
