import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { ServiceAccountRef, UserRef } from '../../../../lib/entity-refs.js';
import { ActorType } from '../../../../lib/graphql-enums.js';

/** The actor of an entry, as one object in the schema. */
@ObjectType({ description: 'Who did what an audit entry records.' })
export class AuditActor {
  @Field(() => ActorType, {
    description: 'Kind of actor: USER, SERVICE_ACCOUNT, SYSTEM or ANONYMOUS.',
  })
  type!: ActorType;

  @Field(() => String, {
    description: 'User or service account id; the subgraph name for SYSTEM actors.',
  })
  id!: string;

  @Field(() => ID, { nullable: true, description: 'The API key used, when one was.' })
  apiKeyId!: string | null;

  @Field(() => String, { nullable: true, description: "The client's IP address." })
  ip!: string | null;

  @Field(() => String, { nullable: true, description: "The client's user agent." })
  userAgent!: string | null;

  @Field(() => UserRef, { nullable: true, description: 'The user, for USER actors.' })
  user!: UserRef | null;

  @Field(() => ServiceAccountRef, {
    nullable: true,
    description: 'The service account, for SERVICE_ACCOUNT actors.',
  })
  serviceAccount!: ServiceAccountRef | null;
}

/**
 * One entry of an account's append-only, hash-chained audit log (REFERENCE §4). `hash` is
 * sha256(prevHash + canonical JSON of the other fields); `seq` counts 1, 2, … per account.
 */
@ObjectType({ description: 'One entry of an account audit log.' })
@Entity({ tableName: 'audit_event' })
@Unique({ properties: ['accountId', 'seq'] })
@Unique({ properties: ['accountId', 'eventId'] })
@Index({ properties: ['accountId', 'occurredAt'] })
export class AuditEvent {
  @Field(() => ID, { description: 'Entry id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => ID, { description: 'The account whose log this is.' })
  @Property({ type: 'uuid' })
  accountId!: string;

  @Field(() => ID, { nullable: true, description: 'The workspace concerned, if any.' })
  @Property({ type: 'uuid', nullable: true })
  workspaceId: string | null = null;

  @Field(() => Int, { description: 'Position in the account log: 1, 2, 3, …' })
  @Property({ type: 'integer' })
  seq!: number;

  @Field(() => Date, { description: 'When it happened.' })
  @Property({ type: 'Date' })
  occurredAt!: Date;

  /** The domain event it records (several accounts may each record one event). */
  @Property({ type: 'uuid' })
  eventId!: string;

  @Property({ type: 'string', length: 20 })
  actorType!: ActorType;

  @Property({ type: 'string', length: 100 })
  actorId!: string;

  @Property({ type: 'uuid', nullable: true })
  actorApiKeyId: string | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  actorIp: string | null = null;

  @Property({ type: 'string', length: 300, nullable: true })
  actorUserAgent: string | null = null;

  @Field(() => String, {
    nullable: true,
    description: 'The API request that caused it (also on SYSTEM entries it set off).',
  })
  @Property({ type: 'string', length: 64, nullable: true })
  requestId: string | null = null;

  @Field(() => String, {
    description: '`<resource-type>.<verb>`, e.g. `api-key.created`, `flow.denied`.',
  })
  @Property({ type: 'string', length: 120 })
  action!: string;

  @Field(() => String, { description: 'Kind of resource, e.g. `api-key`, `workspace`.' })
  @Property({ type: 'string', length: 80 })
  resourceType!: string;

  @Field(() => String, { nullable: true, description: 'Id of the resource, when it has one.' })
  @Property({ type: 'string', length: 100, nullable: true })
  resourceId: string | null = null;

  @Field(() => GraphQLJSON, {
    description: 'What changed (before/after where known); secrets are never included.',
  })
  @Property({ type: 'json' })
  summary: Record<string, unknown> = {};

  @Field(() => String, {
    description: 'Hash of the previous entry (or of the purge anchor); empty for the first.',
  })
  @Property({ type: 'string', length: 64 })
  prevHash!: string;

  @Field(() => String, { description: 'sha256 of prevHash and this entry, hex.' })
  @Property({ type: 'string', length: 64 })
  hash!: string;

  @Field(() => AuditActor, { description: 'Who did it.' })
  get actor(): AuditActor {
    return {
      type: this.actorType,
      id: this.actorId,
      apiKeyId: this.actorApiKeyId,
      ip: this.actorIp,
      userAgent: this.actorUserAgent,
      user: this.actorType === ActorType.USER ? { id: this.actorId } : null,
      serviceAccount: this.actorType === ActorType.SERVICE_ACCOUNT ? { id: this.actorId } : null,
    };
  }
}

/**
 * The head of an account's chain: appends lock it (FOR UPDATE on PostgreSQL) so that two
 * instances never give out one seq twice or fork the chain. After a purge it holds the anchor
 * the first remaining entry links to. Retention comes from the account's settings events.
 */
@Entity({ tableName: 'audit_chain' })
export class AuditChain {
  @PrimaryKey({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'integer' })
  headSeq: number = 0;

  @Property({ type: 'string', length: 64 })
  headHash: string = '';

  @Property({ type: 'uuid', nullable: true })
  headId: string | null = null;

  /** seq and hash of the last purged entry (0 and '' before any purge). */
  @Property({ type: 'integer' })
  anchorSeq: number = 0;

  @Property({ type: 'string', length: 64 })
  anchorHash: string = '';

  @Property({ type: 'integer', nullable: true })
  retentionDays: number | null = null;

  @Property({ type: 'Date', nullable: true })
  purgedAt: Date | null = null;
}

/**
 * Projection of account memberships (from the workspaces subgraph's events): events that name
 * a user but no account (sign-in, profile, personal keys) go to every account they are in.
 */
@Entity({ tableName: 'audit_membership' })
export class AuditMembership {
  @PrimaryKey({ type: 'uuid' })
  principalId!: string;

  @PrimaryKey({ type: 'uuid' })
  accountId!: string;
}

/** Projection of workspaces to their account, for events that name only the workspace. */
@Entity({ tableName: 'audit_workspace' })
export class AuditWorkspace {
  @PrimaryKey({ type: 'uuid' })
  workspaceId!: string;

  @Property({ type: 'uuid' })
  accountId!: string;
}
