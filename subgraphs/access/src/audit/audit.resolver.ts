import { Arg, Args, Ctx, ID, Query, Resolver } from 'type-graphql';
import { ConnectionArgs, type Connection } from '../../../../lib/pagination.js';
import type { AccessContext } from '../context.js';
import { AuditEvent } from './audit-event.entity.js';
import {
  AuditEventConnection,
  AuditEventFilter,
  AuditEventOrder,
  AuditVerification,
} from './audit.inputs.js';
import { AuditService } from './audit.service.js';

@Resolver(() => AuditEvent)
export class AuditResolver {
  @Query(() => AuditEventConnection, {
    description:
      "An account's audit log, newest first unless `order` says otherwise (needs read:audit_event).",
  })
  auditEvents(
    @Arg('accountId', () => ID, { description: 'The account.' }) accountId: string,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => AuditEventFilter, { nullable: true, description: 'Which entries.' })
    filter: AuditEventFilter | null,
    @Arg('order', () => AuditEventOrder, {
      defaultValue: AuditEventOrder.NEWEST_FIRST,
      description: 'NEWEST_FIRST (default) or OLDEST_FIRST (chronological).',
    })
    order: AuditEventOrder,
    @Ctx() ctx: AccessContext,
  ): Promise<Connection<AuditEvent>> {
    return new AuditService(ctx).list(accountId, args, filter, order);
  }

  @Query(() => AuditVerification, {
    description:
      "Recomputes an account's audit hash chain and names the first broken entry (needs read:audit_event).",
  })
  verifyAuditLog(
    @Arg('accountId', () => ID, { description: 'The account.' }) accountId: string,
    @Ctx() ctx: AccessContext,
  ): Promise<AuditVerification> {
    return new AuditService(ctx).verify(accountId);
  }
}
