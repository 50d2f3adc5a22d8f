import { errorField, log } from '../../lib/log.js';
import { randomUUID } from 'node:crypto';
import { actorOf, type ClientInfo } from '../../lib/actor.js';
import type { Bus, DomainEvent } from '../../lib/bus.js';
import type { Principal } from '../../lib/principal.js';

/** The domain event of requests the gateway refused (the access subgraph audits it). */
export const REQUEST_REFUSED = 'request.refused';

/**
 * Why the gateway refused: the audit action is `<reason>.refused` (`ip-allow-list.refused`,
 * `rate-limit.refused`, `subscription-limit.refused`).
 */
export type RefusalReason = 'ip-allow-list' | 'rate-limit' | 'subscription-limit';

/** One refusal as the gateway saw it. */
export interface Refusal {
  reason: RefusalReason;
  principal: Principal;
  client: ClientInfo;
  requestId: string | null;
  /**
   * The account the refusal concerns, or the workspace (its account then); without either,
   * every account of the principal.
   */
  accountId?: string | null;
  workspaceId?: string | null;
  /** A few words for the entry (which limit, which budget); no ids the caller asked for. */
  detail?: Record<string, string | number | boolean | null>;
}

export interface RefusalAuditOptions {
  /** Length of one counting window (default 60 s). */
  windowMs?: number;
  /** Entries of their own per account (or principal without account) and window (default 20). */
  perAccount?: number;
  /** Distinct refusals remembered per window, all accounts together (default 10,000). */
  maxTracked?: number;
}

interface Tracked {
  refusal: Refusal;
  repeats: number;
}

/**
 * Turns the gateway's refusals (IP allow-list, rate limits, subscription caps) into
 * `request.refused` domain events on the bus, which the access subgraph's audit consumer turns
 * into entries of the accounts they concern. Bounded, so that a client hammering the gateway
 * cannot flood the audit log: within a window, the first refusal of each (reason, account,
 * principal, address) is recorded at once and its repeats as one entry with their count when the
 * window closes; beyond `perAccount` distinct refusals per account, the rest of the window is one
 * entry counting them. Anonymous refusals concern no account and are only logged per request.
 */
export class RefusalAudit {
  private tracked = new Map<string, Tracked>();
  private perAccount = new Map<string, number>();
  private overflow = new Map<string, Tracked>();
  private readonly timer: NodeJS.Timeout;
  private readonly windowMs: number;
  private readonly maxPerAccount: number;
  private readonly maxTracked: number;
  /** Entries published so far (tests read it). */
  published = 0;

  constructor(
    private readonly bus: Bus,
    opts: RefusalAuditOptions = {},
  ) {
    this.windowMs = opts.windowMs ?? 60_000;
    this.maxPerAccount = opts.perAccount ?? 20;
    this.maxTracked = opts.maxTracked ?? 10_000;
    this.timer = setInterval(() => this.flush(), this.windowMs);
    this.timer.unref();
  }

  record(refusal: Refusal): void {
    const p = refusal.principal;
    if (p.type !== 'user' && p.type !== 'service_account') return;
    const scope = refusal.accountId ?? refusal.workspaceId ?? `principal:${p.id}`;
    const key = [refusal.reason, scope, p.id, refusal.client.ip ?? ''].join('|');
    const seen = this.tracked.get(key);
    if (seen) {
      seen.repeats++;
      return;
    }
    const n = (this.perAccount.get(scope) ?? 0) + 1;
    if (n > this.maxPerAccount || this.tracked.size >= this.maxTracked) {
      const over = this.overflow.get(scope);
      if (over) over.repeats++;
      else if (this.overflow.size < this.maxTracked)
        this.overflow.set(scope, { refusal, repeats: 1 });
      return;
    }
    this.perAccount.set(scope, n);
    this.tracked.set(key, { refusal, repeats: 0 });
    this.publish(refusal, { count: 1 });
  }

  /** Closes the window: the counted repeats and overflows become one entry each. */
  flush(): void {
    const tracked = this.tracked;
    const overflow = this.overflow;
    this.tracked = new Map();
    this.perAccount = new Map();
    this.overflow = new Map();
    for (const t of tracked.values())
      if (t.repeats) this.publish(t.refusal, { count: t.repeats, repeated: true });
    for (const t of overflow.values())
      this.publish(t.refusal, { count: t.repeats, suppressed: true });
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }

  private publish(r: Refusal, counts: Record<string, number | boolean>): void {
    const event: DomainEvent = {
      id: randomUUID(),
      type: REQUEST_REFUSED,
      source: 'gateway',
      occurredAt: new Date().toISOString(),
      payload: {
        reason: r.reason,
        ...(r.accountId ? { accountId: r.accountId } : {}),
        ...(r.workspaceId ? { workspaceId: r.workspaceId } : {}),
        ...(r.detail ?? {}),
        ...counts,
      },
      actor: actorOf(r.principal, r.client, r.requestId),
    };
    this.published++;
    this.bus
      .publish([event])
      .catch((err) => log.error({ error: errorField(err) }, 'refusal audit failed'));
  }
}
