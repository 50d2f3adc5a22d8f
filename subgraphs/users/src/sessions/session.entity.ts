import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';

/** A signed-in browser or client. Only the token's SHA-256 is stored. */
@ObjectType({ description: 'A sign-in session of the current user.' })
@Entity({ tableName: 'session' })
export class Session {
  @Field(() => ID, { description: 'Session id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  userId!: string;

  @Property({ type: 'string', length: 64, unique: true })
  tokenHash!: string;

  @Field(() => String, { nullable: true, description: 'User agent that signed in.' })
  @Property({ type: 'string', length: 300, nullable: true })
  userAgent?: string | null = null;

  @Field(() => Date, { description: 'When the session started.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'When the session stops working.' })
  @Property({ type: 'Date' })
  expiresAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Last request made with this session.' })
  @Property({ type: 'Date', nullable: true })
  lastUsedAt?: Date | null = null;

  @Field(() => Date, { nullable: true, description: 'When the session was signed out or revoked.' })
  @Property({ type: 'Date', nullable: true })
  revokedAt?: Date | null = null;

  /** How the user signed in: PASSWORD or SSO (sso.service.ts). */
  @Field(() => String, { description: 'How the session was started: PASSWORD or SSO.' })
  @Property({ type: 'string', length: 16 })
  method: string = 'PASSWORD';

  /** The account whose identity provider started an SSO session. */
  @Property({ type: 'uuid', nullable: true, index: true })
  ssoAccountId?: string | null = null;

  @Field(() => Boolean, { description: 'Whether this is the session making the request.' })
  current?: boolean;
}
