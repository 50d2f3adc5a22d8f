import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { ServiceAccountRef, UserRef } from '../../../../lib/entity-refs.js';
import { AccessLevel, AccessObjectType } from './object-access.entity.js';

@InputType({
  description: 'One actor on an access list: exactly one of userId, serviceAccountId, teamId.',
})
export class ObjectAccessEntryInput {
  @Field(() => AccessLevel, { description: 'What the actor may do.' })
  level!: AccessLevel;

  @Field(() => ID, { nullable: true, description: 'A user.' })
  userId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A service account.' })
  serviceAccountId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A team (all its members).' })
  teamId?: string | null;
}

@InputType({ description: 'Replaces the access list of an object.' })
export class SetObjectAccessInput {
  @Field(() => AccessObjectType, { description: 'The kind of object.' })
  objectType!: AccessObjectType;

  @Field(() => ID, { description: 'The object.' })
  objectId!: string;

  @Field(() => [ObjectAccessEntryInput], { description: 'The new list (at most 200 actors).' })
  entries!: ObjectAccessEntryInput[];
}

@InputType({ description: 'Removes the access list of an object (back to role-based access).' })
export class RemoveObjectAccessInput {
  @Field(() => AccessObjectType, { description: 'The kind of object.' })
  objectType!: AccessObjectType;

  @Field(() => ID, { description: 'The object.' })
  objectId!: string;
}

@ObjectType({ description: 'One actor on an access list.' })
export class ObjectAccessEntry {
  @Field(() => AccessLevel, { description: 'What the actor may do.' })
  level!: AccessLevel;

  @Field(() => UserRef, { nullable: true, description: 'The user, when the actor is a user.' })
  user?: UserRef | null;

  @Field(() => ServiceAccountRef, {
    nullable: true,
    description: 'The service account, when the actor is one.',
  })
  serviceAccount?: ServiceAccountRef | null;

  @Field(() => ID, { nullable: true, description: 'The team id, when the actor is a team.' })
  teamId?: string | null;
}
