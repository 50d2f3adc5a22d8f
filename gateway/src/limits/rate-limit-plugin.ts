import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Principal } from '../../../lib/principal.js';
import type { OperationMeasure } from './operation-limits.js';
import type { RateDecision, RateLimiter } from './rate-limit.js';

interface RateContext {
  principal: Principal;
  clientIp?: string;
  rate?: RateDecision;
  delivery?: boolean;
}

/** Budget keys of a request: its credential (key or session), the service account's account, or the IP. */
export function rateKeys(principal: Principal, ip: string | undefined): string[] {
  const keys: string[] = [];
  if (principal.apiKeyId) keys.push(`key:${principal.apiKeyId}`);
  else if (principal.sessionId) keys.push(`session:${principal.sessionId}`);
  else keys.push(`ip:${ip ?? 'unknown'}`);
  if (principal.type === 'service_account' && principal.accountId)
    keys.push(`account:${principal.accountId}`);
  return keys;
}

function headers(d: RateDecision): HeaderMap {
  const h = new HeaderMap();
  h.set('x-ratelimit-limit', String(d.limit));
  h.set('x-ratelimit-remaining', String(d.remaining));
  h.set('x-ratelimit-reset', String(d.resetSeconds));
  return h;
}

/**
 * Charges `cost` to every budget of a caller (see `rateKeys`) and returns the tightest decision
 * (undefined when rate limiting is off). Shared by HTTP operations and WebSocket subscribes.
 */
export async function chargeBudgets(
  limiter: RateLimiter,
  costPerMinute: number,
  principal: Principal,
  ip: string | undefined,
  cost: number,
): Promise<RateDecision | undefined> {
  if (costPerMinute <= 0) return undefined;
  let tightest: RateDecision | undefined;
  for (const key of rateKeys(principal, ip)) {
    const d = await limiter.consume(key, Math.max(1, cost), costPerMinute);
    if (!tightest || d.remaining < tightest.remaining || !d.allowed) tightest = d;
    if (!d.allowed) break;
  }
  return tightest;
}

/** The RATE_LIMITED error of a refused decision (with the 429 headers for HTTP answers). */
export function rateLimitedError(d: RateDecision): GraphQLError {
  const h = headers(d);
  h.set('retry-after', String(d.resetSeconds));
  return new GraphQLError(`Rate limit exceeded; retry in ${d.resetSeconds} s`, {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfterSeconds: d.resetSeconds,
      http: { status: 429, headers: h },
    },
  });
}

/**
 * Charges each operation's cost to its budgets (per credential, per service account's account,
 * per IP for anonymous callers); over budget ⇒ 429 with Retry-After and RATE_LIMITED. The
 * subscription engine's own deliveries (`delivery` in the context) are not charged: the
 * subscribe operation was.
 */
export function createRateLimitCharge(limiter: RateLimiter, costPerMinute: number) {
  return async (rc: GraphQLRequestContext<RateContext>, m: OperationMeasure): Promise<void> => {
    const ctx = rc.contextValue;
    // Subscriptions over HTTP are refused (subscriptions/http-refusal.ts), not charged.
    if (ctx.delivery || rc.operation?.operation === 'subscription') return;
    const tightest = await chargeBudgets(
      limiter,
      costPerMinute,
      ctx.principal,
      ctx.clientIp,
      m.cost,
    );
    if (!tightest) return;
    ctx.rate = tightest;
    if (!tightest.allowed) throw rateLimitedError(tightest);
  };
}

/** Puts the x-ratelimit-* headers on every answer that was charged. */
export const rateLimitHeadersPlugin: ApolloServerPlugin<RateContext> = {
  async requestDidStart() {
    return {
      async willSendResponse(rc) {
        const d = rc.contextValue.rate;
        if (!d) return;
        for (const [k, v] of headers(d)) rc.response.http.headers.set(k, v);
      },
    };
  },
};
