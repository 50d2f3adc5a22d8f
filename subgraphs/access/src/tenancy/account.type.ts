import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** The account entity, owned by the workspaces subgraph; this subgraph adds the caller's permissions. */
@ObjectType({ description: 'An organisation: members, service accounts, roles and workspaces.' })
@Directive('@key(fields: "id")')
export class Account {
  @Field(() => ID, { description: 'Account id.' })
  id!: string;
}
