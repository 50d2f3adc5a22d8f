import type { ClientInfo } from '../../lib/actor.js';
import type { Caller } from '../../lib/internal-token.js';
import type { Grants, Principal } from '../../lib/principal.js';
import { fingerprintOf, type Identity } from './auth/authenticator.js';
import type { RateDecision } from './limits/rate-limit.js';

/** The gateway's request context: who is calling, and whom its subgraph calls are for. */
export interface GatewayContext {
  principal: Principal;
  grants: Grants;
  requestId: string;
  /** Whom the subgraph calls are for (signed into a token only when they go over HTTP). */
  caller: Caller;
  /** Equal for callers who see the same data (principal + grants): see `fingerprintOf`. */
  identityKey: string;
  clientIp?: string;
  /** The client's address and user agent (the audit entries of refusals name them). */
  client: ClientInfo;
  /** The tightest rate-limit budget this request was charged to. */
  rate?: RateDecision;
  /**
   * Set on the subscription engine's executions of an event: not logged, and charged by the
   * engine per subscriber rather than by the rate-limit plugin.
   */
  delivery?: boolean;
  /**
   * The furthest bus position the request's subgraph calls answered with
   * (`SubgraphResult.busPosition`): a mutation's answer waits until this gateway's bus reader
   * has passed it. `null` once a subgraph answered without one (it does not say): the answer
   * then waits for the stream's tail, read from Redis.
   */
  busPosition?: string | null;
}

/**
 * The context of one operation run through the gateway's pipeline for `identity` (an HTTP
 * request, a WebSocket operation, a subscription delivery). The request id is the caller's
 * unless given.
 */
export function gatewayContext(
  identity: Identity,
  caller: Caller,
  clientIp: string | null | undefined,
  requestId: string = caller.claims.requestId,
): GatewayContext {
  return {
    principal: identity.principal,
    grants: identity.grants,
    requestId,
    caller,
    identityKey: fingerprintOf(identity),
    clientIp: clientIp ?? undefined,
    client: caller.claims.client,
  };
}
