import { createHash } from 'node:crypto';
import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { GraphQLError, getArgumentValues, Kind } from 'graphql';
import type { ClientInfo } from '../../../lib/actor.js';
import type { Grants, Principal } from '../../../lib/principal.js';
import type { RefusalAudit } from '../refusal-audit.js';
import type { OperationMeasure } from './operation-limits.js';
import type { Charge, RateDecision, RateLimiter } from './rate-limit.js';

/** Budgets per minute (0 turns one off). */
export interface BudgetLimits {
  /** Cost per principal (every key and session of a user or service account), per IP when anonymous. */
  principal: number;
  /** Cost per account, for every principal acting with grants in it. */
  account: number;
  /** Anonymous `signIn` attempts per client address and email. */
  signIn: number;
}

/**
 * The rate-limit budgets of the gateway (REFERENCE §7 "API rate limits per account"). An
 * identified caller is charged to its principal (so a new session or key does not reset it) and
 * to every account it acts in (its grants for the request; for a subscription, the workspace's
 * account); an anonymous caller to its address. An anonymous `signIn` is charged to its own
 * budget per address and email instead, so anonymous traffic from a shared address cannot lock
 * everyone behind it out of signing in (failed attempts are throttled by the users subgraph).
 */
export class RateBudgets {
  constructor(
    readonly limiter: RateLimiter,
    readonly limits: BudgetLimits,
  ) {}

  /** The budgets of a caller acting in `accountIds` (empty for anonymous callers). */
  chargesFor(
    principal: Principal,
    accountIds: readonly string[],
    ip: string | null | undefined,
    cost: number,
  ): Charge[] {
    const charges: Charge[] = [];
    const c = Math.max(1, Math.ceil(cost));
    const identified = principal.type === 'user' || principal.type === 'service_account';
    if (this.limits.principal > 0) {
      charges.push({
        key: identified ? `principal:${principal.id}` : `ip:${ip ?? 'unknown'}`,
        cost: c,
        limit: this.limits.principal,
      });
    }
    if (identified && this.limits.account > 0) {
      for (const id of new Set(accountIds))
        charges.push({ key: `account:${id}`, cost: c, limit: this.limits.account });
    }
    return charges;
  }

  /** An anonymous sign-in attempt for `email` from `ip`. */
  signInCharge(ip: string | null | undefined, email: string): Charge[] {
    if (this.limits.signIn <= 0) return [];
    const who = createHash('sha256').update(email.trim().toLowerCase()).digest('base64url');
    return [{ key: `sign-in:${ip ?? 'unknown'}:${who}`, cost: 1, limit: this.limits.signIn }];
  }

  /**
   * Charges all or none of `charges` and returns the decision that governs the answer: the
   * refusing budget, else the one with the least room left (undefined when nothing is limited).
   */
  async charge(charges: readonly Charge[]): Promise<RateDecision | undefined> {
    if (!charges.length) return undefined;
    const decisions = await this.limiter.consume(charges);
    const refused = decisions.find((d) => !d.allowed);
    if (refused) return refused;
    return decisions.reduce((a, b) => (b.remaining / b.limit < a.remaining / a.limit ? b : a));
  }
}

/** The account a refusal by `decision` concerns (an account budget), for the audit log. */
export const accountOfDecision = (d: RateDecision): string | null =>
  d.key.startsWith('account:') ? d.key.slice('account:'.length) : null;

function headers(d: RateDecision): HeaderMap {
  const h = new HeaderMap();
  h.set('x-ratelimit-limit', String(d.limit));
  h.set('x-ratelimit-remaining', String(d.remaining));
  h.set('x-ratelimit-reset', String(d.resetSeconds));
  return h;
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

interface RateContext {
  principal: Principal;
  grants: Grants;
  clientIp?: string;
  requestId: string;
  rate?: RateDecision;
  delivery?: boolean;
  client?: ClientInfo;
}

/** The email of an operation that is nothing but `signIn(input: { email, … })`, else null. */
function signInEmail(rc: GraphQLRequestContext<RateContext>): string | null {
  const op = rc.operation;
  if (op?.operation !== 'mutation' || op.selectionSet.selections.length !== 1) return null;
  const field = op.selectionSet.selections[0]!;
  if (field.kind !== Kind.FIELD || field.name.value !== 'signIn') return null;
  const def = rc.schema.getMutationType()?.getFields().signIn;
  if (!def) return null;
  try {
    const args = getArgumentValues(def, field, rc.request.variables ?? {});
    const email = (args.input as { email?: unknown } | undefined)?.email;
    return typeof email === 'string' ? email : null;
  } catch {
    return null;
  }
}

/**
 * Charges each operation's cost to its budgets (see `RateBudgets`); over budget ⇒ 429 with
 * Retry-After and RATE_LIMITED, audited for identified callers. The subscription engine's own
 * deliveries (`delivery` in the context) are charged by the engine, per subscriber.
 */
export function createRateLimitCharge(budgets: RateBudgets, audit?: RefusalAudit) {
  return async (rc: GraphQLRequestContext<RateContext>, m: OperationMeasure): Promise<void> => {
    const ctx = rc.contextValue;
    // Subscriptions over HTTP are refused (subscriptions/http-refusal.ts), not charged.
    if (ctx.delivery || rc.operation?.operation === 'subscription') return;
    const email = ctx.principal.type === 'anonymous' ? signInEmail(rc) : null;
    const charges =
      email !== null
        ? budgets.signInCharge(ctx.clientIp, email)
        : budgets.chargesFor(ctx.principal, Object.keys(ctx.grants.accounts), ctx.clientIp, m.cost);
    const decision = await budgets.charge(charges);
    if (!decision) return;
    ctx.rate = decision;
    if (decision.allowed) return;
    audit?.record({
      reason: 'rate-limit',
      principal: ctx.principal,
      client: ctx.client ?? { ip: ctx.clientIp ?? null, userAgent: null },
      requestId: ctx.requestId,
      accountId: accountOfDecision(decision),
      detail: { budget: decision.key.split(':')[0]!, limit: decision.limit },
    });
    throw rateLimitedError(decision);
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
