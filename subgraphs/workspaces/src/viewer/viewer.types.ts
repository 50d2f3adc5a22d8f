import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** The caller, owned by the users subgraph; this subgraph adds the accounts they belong to. */
@ObjectType({ description: 'The authenticated caller: a user or a service account.' })
@Directive('@key(fields: "id")')
export class Viewer {
  @Field(() => ID, { description: 'The user or service account id.' })
  id!: string;
}
