import { authorize } from '../../../../lib/ability.js';
import { isUuid } from '../../../../lib/db.js';
import { notFound } from '../../../../lib/errors.js';
import { requireAuthenticated } from '../common/caller.js';
import type { OperationsContext } from '../context.js';
import { Event } from './event.entity.js';

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
}
