import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** The workspace entity, owned by the workspaces subgraph; this subgraph adds who has access. */
@ObjectType({
  description: 'An isolated environment inside an account: flows, deployments, runs and the rest.',
})
@Directive('@key(fields: "id")')
export class Workspace {
  @Field(() => ID, { description: 'Workspace id.' })
  id!: string;
}
