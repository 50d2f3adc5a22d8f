import { Field, ID, InputType } from 'type-graphql';

/**
 * Who a binding is for: exactly one of a user, a service account or a team (the service checks
 * it). The inputs that extend it inherit its fields; no field takes it, so it is not in the
 * schema itself.
 */
@InputType({ description: 'Exactly one of a user, a service account or a team.' })
export abstract class PrincipalSelector {
  @Field(() => ID, {
    nullable: true,
    description: 'The user; give exactly one of userId, serviceAccountId and teamId.',
  })
  userId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'The service account; give exactly one of userId, serviceAccountId and teamId.',
  })
  serviceAccountId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'A team of the account; give exactly one of userId, serviceAccountId and teamId.',
  })
  teamId?: string | null;
}
