import { authorize } from '../../../../lib/ability.js';
import { isUuid } from '../../../../lib/db.js';
import { badInput, notFound } from '../../../../lib/errors.js';
import { requireAuthenticated } from '../common/caller.js';
import type { OperationsContext } from '../context.js';
import { toEventJson, type EventJson } from './emit.js';
import { Event } from './event.entity.js';
import { toFlowRunEvent, type FlowRunEvent } from './flow-run-event.types.js';

/** At most this many events per backfill call. */
export const MAX_BACKFILL = 1000;

/** Reads of the workspace event store. */
export class EventService {
  constructor(private readonly ctx: OperationsContext) {}

  /** One event by id (needs see_events in its workspace; NOT_FOUND otherwise). */
  async get(id: string): Promise<Event> {
    requireAuthenticated(this.ctx.principal);
    const e = isUuid(id) ? await this.ctx.em.findOne(Event, { id }) : null;
    if (!e) throw notFound('Event');
    authorize(this.ctx, 'read', 'Event', { workspaceId: e.workspaceId }, 'Event');
    return e;
  }

  /**
   * An event read as a flow-run state change: the same authorization as `get`, and null when
   * the event is another kind of event.
   */
  async flowRunEvent(id: string): Promise<FlowRunEvent | null> {
    return toFlowRunEvent(await this.get(id));
  }

  /**
   * Backfill for the gateway's subscriptions: the workspace's events stored after `since` (by
   * store order), oldest first, as they travel on the bus.
   */
  async since(workspaceId: string, since: string, limit: number): Promise<EventJson[]> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'Event', { workspaceId }, 'Workspace');
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_BACKFILL)
      throw badInput('limit', `An integer from 1 to ${MAX_BACKFILL}`);
    const from = isUuid(since)
      ? await this.ctx.em.findOne(Event, { id: since, workspaceId }, { fields: ['seq'] })
      : null;
    if (!from) throw badInput('since', 'No such event in this workspace (it may have expired)');
    const rows = await this.ctx.em.find(
      Event,
      { workspaceId, seq: { $gt: from.seq } },
      { orderBy: { seq: 'asc' }, limit },
    );
    return rows.map(toEventJson);
  }
}
