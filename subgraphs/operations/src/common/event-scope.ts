import type { BaseContext } from '../../../../lib/subgraph.js';

/**
 * Common payload fields of this subgraph's domain events: where it happened. Who did it is not
 * part of the payload: `recordEvent` stamps the actor on every event (`DomainEvent.actor`).
 */
export function eventScope(ctx: BaseContext, workspaceId: string) {
  return {
    workspaceId,
    accountId: ctx.grants.workspaces[workspaceId]?.accountId ?? null,
  };
}
