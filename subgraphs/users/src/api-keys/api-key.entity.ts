import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { maskCredential } from '../../../../lib/secrets.js';
import { ActorType, type ActorKind } from '../../../../lib/graphql-enums.js';

/** An API key. The plaintext exists only in the createApiKey answer; we keep its SHA-256. */
@ObjectType({ description: 'An API key, masked: its plaintext is shown only once, at creation.' })
@Entity({ tableName: 'api_key' })
export class ApiKey {
  @Field(() => ID, { description: 'Key id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, { description: 'Name given at creation.' })
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Field(() => ActorType, {
    description:
      'USER for a personal key (prefix fpu_), SERVICE_ACCOUNT for a service account key (prefix fps_).',
  })
  @Property({ type: 'string', length: 20 })
  ownerType!: ActorKind;

  @Property({ type: 'uuid', nullable: true, index: true })
  userId?: string | null = null;

  @Property({ type: 'uuid', nullable: true, index: true })
  serviceAccountId?: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  accountId?: string | null = null;

  @Property({ type: 'string', length: 64, unique: true })
  hash!: string;

  @Property({ type: 'string', length: 8 })
  prefix!: string;

  @Property({ type: 'string', length: 4 })
  last4!: string;

  @Field(() => Date, { description: 'Creation time.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { nullable: true, description: 'When the key stops working; null = never.' })
  @Property({ type: 'Date', nullable: true })
  expiresAt?: Date | null = null;

  @Field(() => Date, {
    nullable: true,
    description: 'Last request made with the key (minute precision).',
  })
  @Property({ type: 'Date', nullable: true })
  lastUsedAt?: Date | null = null;

  @Field(() => Date, { nullable: true, description: 'When the key was revoked.' })
  @Property({ type: 'Date', nullable: true })
  revokedAt?: Date | null = null;

  @Field(() => String, { description: 'Prefix and last four characters, e.g. "fpu_…x9Qa".' })
  get masked(): string {
    return maskCredential(this.prefix, this.last4);
  }

  @Field(() => Boolean, { description: 'Neither revoked nor expired.' })
  get active(): boolean {
    return !this.revokedAt && (!this.expiresAt || this.expiresAt.getTime() > Date.now());
  }
}
