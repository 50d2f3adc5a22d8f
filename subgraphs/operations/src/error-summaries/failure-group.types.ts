import { Field, Int, ObjectType } from 'type-graphql';
import { FailureFixKind } from './error-summary.entity.js';
import type { FixKind } from './summarizer.js';

@ObjectType({
  description:
    'Failures of one cause (same signature: exception type, user frame and normalised message) within a time window.',
})
export class FailureGroup {
  @Field(() => String, { description: 'The signature the failures share.' })
  signature!: string;

  @Field(() => String, { nullable: true, description: 'The original exception type, if any.' })
  exceptionType!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The message with ids, numbers, paths and timestamps normalised.',
  })
  message!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The user frame (`file:function`) the failures share, if any.',
  })
  userFrame!: string | null;

  @Field(() => FailureFixKind, { nullable: true, description: 'The well-known cause, if any.' })
  fixKind!: FixKind | null;

  @Field(() => Int, { description: 'Failures in the window.' })
  count!: number;

  @Field(() => Date, { description: 'The first failure in the window.' })
  firstSeen!: Date;

  @Field(() => Date, { description: 'The last failure in the window.' })
  lastSeen!: Date;

  /** Resolved to visible deployments and runs by field resolvers. */
  deploymentIds!: string[];
  latestRunId!: string;
  workspaceId!: string;
}
