import { AsyncLocalStorage } from 'node:async_hooks';
import type { Principal, PrincipalType } from './principal.js';

/** Who caused a domain event: stored with the outbox row and carried on the DomainEvent. */
export interface EventActor {
  type: PrincipalType;
  /** User or service account id; the subgraph name for `system`. */
  id: string;
  apiKeyId: string | null;
  sessionId: string | null;
  /** The client's address as the gateway saw it (see TRUST_PROXY). */
  ip: string | null;
  userAgent: string | null;
  /** The gateway request, or for `system` work the request whose event caused it. */
  requestId: string | null;
  /** W3C trace context of the request that recorded the event (only while tracing is on). */
  traceparent?: string;
}

/** What the gateway learnt about the client of one request. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

const storage = new AsyncLocalStorage<EventActor>();

/** Runs `fn` with `actor` as the author of every event recorded inside it. */
export function runAsActor<T>(actor: EventActor, fn: () => T): T {
  return storage.run(actor, fn);
}

/** The actor of the surrounding request or consumer; `system` for background work. */
export function currentActor(): EventActor {
  return storage.getStore() ?? systemActor('system');
}

export function actorOf(
  principal: Principal,
  client: ClientInfo,
  requestId: string | null,
): EventActor {
  return {
    type: principal.type,
    id: principal.id,
    apiKeyId: principal.apiKeyId ?? null,
    sessionId: principal.sessionId ?? null,
    ip: client.ip,
    userAgent: client.userAgent,
    requestId,
  };
}

/** Consumers and timers act as the system; `cause` keeps the request that set them off. */
export function systemActor(id: string, cause?: EventActor | null): EventActor {
  return {
    type: 'system',
    id,
    apiKeyId: null,
    sessionId: null,
    ip: null,
    userAgent: null,
    requestId: cause?.requestId ?? null,
  };
}
