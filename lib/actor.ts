import { AsyncLocalStorage } from 'node:async_hooks';
import { unauthenticated } from './errors.js';
import { ActorType, type ActorKind } from './graphql-enums.js';
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

/** The event actor of a request: its principal, credential and client. */
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

const ACTOR_TYPES: Record<PrincipalType, ActorType> = {
  user: ActorType.USER,
  service_account: ActorType.SERVICE_ACCOUNT,
  automation: ActorType.AUTOMATION,
  system: ActorType.SYSTEM,
  anonymous: ActorType.ANONYMOUS,
  flow_run: ActorType.FLOW_RUN,
};

/** A principal type (token and event spelling) in schema spelling; undefined for anything else. */
export function actorTypeOf(type: string): ActorType | undefined {
  return (ACTOR_TYPES as Record<string, ActorType | undefined>)[type];
}

/** A user or service account, as objects store who created or changed them. */
export interface ActorRef {
  type: ActorKind;
  id: string;
}

/** UNAUTHENTICATED for anonymous callers (reads check membership afterwards). */
export function requireAuthenticated(principal: Principal): void {
  if (principal.type === 'anonymous') throw unauthenticated();
}

/** The user or service account making a request; UNAUTHENTICATED for anyone else. */
export function requireActor(principal: Principal): ActorRef {
  if (principal.type === 'user') return { type: ActorType.USER, id: principal.id };
  if (principal.type === 'service_account') {
    return { type: ActorType.SERVICE_ACCOUNT, id: principal.id };
  }
  throw unauthenticated();
}

/**
 * Whom to record as the creator of an object: the user or service account, or null for the
 * system, for an automation acting from a consumer and for a pushed run's credential (it reports
 * on its run; what it creates has no creator). UNAUTHENTICATED for anonymous callers.
 */
export function creatorOf(principal: Principal): ActorRef | null {
  const p = principal.type;
  if (p === 'system' || p === 'automation' || p === 'flow_run') return null;
  return requireActor(principal);
}

/** Internal operations (for the gateway, `@inaccessible`): UNAUTHENTICATED unless the system calls. */
export function requireSystem(principal: Principal): void {
  if (principal.type !== 'system') throw unauthenticated('Internal operation');
}
