import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { connectionType } from '../../../../lib/pagination.js';
import { AuditEvent } from './audit-event.entity.js';

export const AuditEventConnection = connectionType(AuditEvent, 'AuditEvent');

export enum AuditEventOrder {
  NEWEST_FIRST = 'NEWEST_FIRST',
  OLDEST_FIRST = 'OLDEST_FIRST',
}
registerEnumType(AuditEventOrder, {
  name: 'AuditEventOrder',
  description: 'Order of audit entries (by their position in the account log).',
  valuesConfig: {
    NEWEST_FIRST: { description: 'Latest entries first (the default).' },
    OLDEST_FIRST: { description: 'Chronological, as the chain runs; for exports.' },
  },
});

@InputType({ description: 'Which audit entries to list; conditions combine with AND.' })
export class AuditEventFilter {
  @Field(() => Date, { nullable: true, description: 'Entries at or after this time.' })
  since?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Entries before this time.' })
  until?: Date | null;

  @Field(() => String, {
    nullable: true,
    description: 'Entries of this actor (user or service account id).',
  })
  actorId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Entries whose action starts with this, e.g. `api-key.` or `flow.denied`.',
  })
  actionPrefix?: string | null;

  @Field(() => String, { nullable: true, description: 'Entries about this resource type.' })
  resourceType?: string | null;

  @Field(() => String, { nullable: true, description: 'Entries about the resource with this id.' })
  resourceId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Entries concerning this workspace.' })
  workspaceId?: string | null;
}

export enum AuditChainBreak {
  SEQUENCE = 'SEQUENCE',
  LINK = 'LINK',
  HASH = 'HASH',
  MISSING_TAIL = 'MISSING_TAIL',
}
registerEnumType(AuditChainBreak, {
  name: 'AuditChainBreak',
  description: 'How the audit chain was found broken.',
  valuesConfig: {
    SEQUENCE: { description: 'An entry is missing or moved: this one is not the next in line.' },
    LINK: { description: "The entry's prevHash is not the previous entry's hash." },
    HASH: { description: 'The entry was changed: its hash does not match its content.' },
    MISSING_TAIL: { description: 'The latest entries are gone.' },
  },
});

@ObjectType({ description: 'Result of recomputing an account audit chain.' })
export class AuditVerification {
  @Field(() => Boolean, { description: 'Whether every entry and link is intact.' })
  ok!: boolean;

  @Field(() => Int, { description: 'How many entries were checked.' })
  checked!: number;

  @Field(() => ID, {
    nullable: true,
    description: 'The first entry found wrong (for a deleted entry: the one after it).',
  })
  firstBrokenId!: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Position in the log where the chain breaks (a deleted entry: its seq).',
  })
  brokenSeq!: number | null;

  @Field(() => AuditChainBreak, { nullable: true, description: 'What is wrong there.' })
  reason!: AuditChainBreak | null;
}
