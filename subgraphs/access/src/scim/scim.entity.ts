import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/**
 * A SCIM User of an account (RFC 7643 §4.1): the document the identity provider manages, the
 * columns its filters run on, and the Flowplane user it provisions (once its email is in a
 * verified domain of the account, or the user is already a member).
 */
@Entity({ tableName: 'scim_user' })
@Unique({ properties: ['accountId', 'userNameKey'] })
export class ScimUser {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  accountId!: string;

  /** userName, lower-case (unique per account, compared case-blind). */
  @Property({ type: 'string', length: 255 })
  userNameKey!: string;

  @Property({ type: 'string', length: 255, nullable: true })
  externalId?: string | null = null;

  /** displayName, lower-case. */
  @Property({ type: 'string', length: 255, nullable: true })
  displayNameKey?: string | null = null;

  /** Every email value, lower-case, each between "\n"s (scim-filter.ts). */
  @Property({ type: 'text', nullable: true })
  emailsKey?: string | null = null;

  @Property({ type: 'boolean' })
  active: boolean = true;

  /** The writable attributes as the IdP last set them. */
  @Property({ type: 'json' })
  document: Record<string, unknown> = {};

  /** The Flowplane user it provisions, once linked. */
  @Property({ type: 'uuid', nullable: true, index: true })
  userId?: string | null = null;

  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Property({ type: 'Date' })
  updatedAt: Date = new Date();
}

/** A SCIM Group of an account: one team, with the SCIM users it lists as members. */
@Entity({ tableName: 'scim_group' })
export class ScimGroup {
  /** The team's id (a SCIM group is a team). */
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'uuid', index: true })
  accountId!: string;

  @Property({ type: 'string', length: 255, nullable: true })
  externalId?: string | null = null;

  @Property({ type: 'string', length: 255 })
  displayNameKey!: string;

  /** The writable attributes as the IdP last set them (members included). */
  @Property({ type: 'json' })
  document: Record<string, unknown> = {};

  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Property({ type: 'Date' })
  updatedAt: Date = new Date();
}
