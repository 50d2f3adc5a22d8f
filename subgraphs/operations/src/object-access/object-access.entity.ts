import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';

/** Objects that can carry an access list. */
export enum AccessObjectType {
  BLOCK_DOCUMENT = 'BLOCK_DOCUMENT',
  DEPLOYMENT = 'DEPLOYMENT',
  WORK_POOL = 'WORK_POOL',
}
registerEnumType(AccessObjectType, {
  name: 'AccessObjectType',
  description: 'A kind of object that can carry an access list.',
  valuesConfig: {
    BLOCK_DOCUMENT: { description: 'A block document.' },
    DEPLOYMENT: {
      description: "A deployment (without its own list it follows its work pool's).",
    },
    WORK_POOL: { description: 'A work pool (and the deployments without a list of their own).' },
  },
});

/** What a listed actor may do with the object (each level includes the ones below it). */
export enum AccessLevel {
  VIEW = 'VIEW',
  RUN = 'RUN',
  MANAGE = 'MANAGE',
}
registerEnumType(AccessLevel, {
  name: 'AccessLevel',
  description: 'What a listed actor may do with an object; MANAGE includes RUN includes VIEW.',
  valuesConfig: {
    VIEW: { description: 'See it (secret values too, if the role allows).' },
    RUN: {
      description:
        'Use it to run work: run a deployment, claim runs from a pool (for blocks, the same as VIEW).',
    },
    MANAGE: { description: 'Change, delete it and its access list.' },
  },
});

export const LEVEL_RANK: Record<AccessLevel, number> = { VIEW: 1, RUN: 2, MANAGE: 3 };

export type AccessActorType = 'USER' | 'SERVICE_ACCOUNT' | 'TEAM';

/** One line of an access list, stored as JSON on the list. */
export interface StoredAccessEntry {
  level: AccessLevel;
  actorType: AccessActorType;
  actorId: string;
}

/**
 * The access list of one object, keyed generically by (objectType, objectId) so that any
 * object type of this subgraph can use it. Its presence switches the object from role-based
 * access to "listed actors only" (workspace Owners excepted).
 */
@ObjectType({
  description:
    'The access list of an object: while it exists, only listed actors (and workspace Owners) reach the object, each within their role.',
})
@Entity({ tableName: 'object_access' })
@Unique({ properties: ['objectType', 'objectId'] })
@Index({ properties: ['workspaceId', 'objectType'] })
export class ObjectAccess {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  workspaceId!: string;

  @Field(() => AccessObjectType, { description: 'The kind of object.' })
  @Property({ type: 'string', length: 30 })
  objectType!: AccessObjectType;

  @Field(() => String, { description: 'The object id.' })
  @Property({ type: 'uuid' })
  objectId!: string;

  @Property({ type: 'json' })
  entries: StoredAccessEntry[] = [];

  @Field(() => Date, { description: 'Last change of the list.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
