import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { AccountRole, WorkspaceRole } from '../../../../lib/graphql-enums.js';

export enum InvitationStatus {
  PENDING = 'PENDING',
  ACCEPTED = 'ACCEPTED',
  REJECTED = 'REJECTED',
  REVOKED = 'REVOKED',
  EXPIRED = 'EXPIRED',
}
registerEnumType(InvitationStatus, {
  name: 'InvitationStatus',
  description: 'Where an invitation stands.',
  valuesConfig: {
    PENDING: { description: 'Sent, not yet answered, not expired.' },
    ACCEPTED: { description: 'Accepted: the invitee is a member.' },
    REJECTED: { description: 'Declined by the invitee.' },
    REVOKED: { description: 'Withdrawn by the account.' },
    EXPIRED: { description: 'Not answered before it expired.' },
  },
});

/** How the one-time code reaches the invitee. */
export enum InvitationDelivery {
  EMAIL = 'EMAIL',
  MANUAL = 'MANUAL',
}
registerEnumType(InvitationDelivery, {
  name: 'InvitationDelivery',
  description: 'How the one-time code of an invitation reaches the invitee.',
  valuesConfig: {
    EMAIL: {
      description:
        'Flowplane emails the invitee a link with the code (SMTP_URL is configured); nobody else sees the code.',
    },
    MANUAL: {
      description:
        'No mail server is configured: inviteMember returns the code once and the inviter passes it on by hand.',
    },
  },
});

/**
 * An invitation to an account (and optionally a workspace). The one-time code is stored only as
 * its SHA-256; `code` is filled in the inviteMember answer and nowhere else. A pending invitation
 * past its expiry is stored as PENDING and reads as EXPIRED.
 */
@ObjectType({
  description: 'An invitation of an email address to an account, optionally to a workspace.',
})
@Entity({ tableName: 'invitation' })
export class Invitation {
  @Field(() => ID, { description: 'Invitation id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  accountId!: string;

  @Field(() => String, { description: 'The invited email address (normalised to lower case).' })
  @Property({ type: 'string', length: 254, index: true })
  email!: string;

  // Plain string columns, not @Enum: MikroORM 6.6 misreads SQLite check constraints of enums
  // with more than two values (a migration drift that never settles).
  @Field(() => AccountRole, { description: 'Account role the invitee gets on accepting.' })
  @Property({ type: 'string', length: 16 })
  accountRole!: AccountRole;

  @Property({ type: 'uuid', nullable: true })
  workspaceId?: string | null = null;

  @Field(() => WorkspaceRole, {
    nullable: true,
    description: 'Workspace role the invitee gets in `workspace`.',
  })
  @Property({ type: 'string', length: 16, nullable: true })
  workspaceRole?: WorkspaceRole | null = null;

  @Property({ type: 'string', length: 16, fieldName: 'status' })
  recordedStatus: InvitationStatus = InvitationStatus.PENDING;

  @Property({ type: 'string', length: 64, unique: true })
  codeHash!: string;

  @Field(() => Date, { description: 'When the invitation stops being usable.' })
  @Property({ type: 'Date' })
  expiresAt!: Date;

  @Field(() => ID, { description: 'The user or service account that sent it.' })
  @Property({ type: 'uuid' })
  invitedById!: string;

  @Field(() => Date, { description: 'When the invitation was sent.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { nullable: true, description: 'When it was accepted, rejected or revoked.' })
  @Property({ type: 'Date', nullable: true })
  respondedAt?: Date | null = null;

  @Field(() => InvitationDelivery, { description: 'How the code reaches the invitee.' })
  @Property({ type: 'string', length: 16 })
  delivery: InvitationDelivery = InvitationDelivery.MANUAL;

  @Field(() => Date, {
    nullable: true,
    description: 'When the invitation email was handed to the mail server (EMAIL delivery).',
  })
  @Property({ type: 'Date', nullable: true })
  emailedAt?: Date | null = null;

  /** Email attempts so far (each mints a fresh code: only the last one sent works). */
  @Property({ type: 'integer' })
  mailAttempts: number = 0;

  /** When the next email attempt is due; null once sent or given up. */
  @Property({ type: 'Date', nullable: true, index: true })
  mailDueAt?: Date | null = null;

  /** Why the last attempt failed (the mail server's answer, no secret). */
  @Property({ type: 'string', length: 300, nullable: true })
  mailError?: string | null = null;

  /** The plaintext code, set only on the object returned by inviteMember. Not a column. */
  @Field(() => String, {
    nullable: true,
    description:
      'The one-time code to accept with. Returned only by inviteMember with MANUAL delivery (pass it on by hand); null everywhere else.',
  })
  code?: string | null = null;

  @Field(() => InvitationStatus, {
    description: 'Status; a pending invitation past its expiry reads EXPIRED.',
  })
  get status(): InvitationStatus {
    if (
      this.recordedStatus === InvitationStatus.PENDING &&
      this.expiresAt.getTime() <= Date.now()
    ) {
      return InvitationStatus.EXPIRED;
    }
    return this.recordedStatus;
  }
}
