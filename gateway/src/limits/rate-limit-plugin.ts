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
 * Charges each operation's cost to its budgets (per credential, per service account's account,
 * per IP for anonymous callers); over budget ⇒ 429 with Retry-After and RATE_LIMITED.
 */
export function createRateLimitCharge(limiter: RateLimiter, costPerMinute: number) {
  return async (rc: GraphQLRequestContext<RateContext>, m: OperationMeasure): Promise<void> => {
    if (costPerMinute <= 0) return;
    const ctx = rc.contextValue;
    const cost = Math.max(1, m.cost);
    let tightest: RateDecision | undefined;
    for (const key of rateKeys(ctx.principal, ctx.clientIp)) {
      const d = await limiter.consume(key, cost, costPerMinute);
      if (!tightest || d.remaining < tightest.remaining || !d.allowed) tightest = d;
      if (!d.allowed) break;
    }
    if (!tightest) return;
    ctx.rate = tightest;
    if (!tightest.allowed) {
      const h = headers(tightest);
      h.set('retry-after', String(tightest.resetSeconds));
      throw new GraphQLError(`Rate limit exceeded; retry in ${tightest.resetSeconds} s`, {
        extensions: {
          code: 'RATE_LIMITED',
          retryAfterSeconds: tightest.resetSeconds,
          http: { status: 429, headers: h },
        },
      });
    }
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
