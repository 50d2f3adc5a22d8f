/**
 * Stubs of entities owned by the users subgraph, for subgraphs that only point at them
 * (`@key(..., resolvable: false)`): federation fetches their fields from users.
 */
import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** A reference to a user; the users subgraph resolves its fields. */
@ObjectType('User', { description: 'A person who signs in to Flowplane.' })
@Directive('@key(fields: "id", resolvable: false)')
export class UserRef {
  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  id!: string;
}

/** A reference to a service account; the users subgraph resolves its fields. */
@ObjectType('ServiceAccount', {
  description: 'A non-person actor that belongs to one account and holds API keys.',
})
@Directive('@key(fields: "id", resolvable: false)')
export class ServiceAccountRef {
  @Field(() => ID, { description: 'Service account id.' })
  id!: string;
}
