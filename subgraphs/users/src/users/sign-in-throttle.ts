import { SETTING_DEFAULTS } from '../../../../lib/env.js';
import { rateLimited } from '../../../../lib/errors.js';
import { isMilestone, type WindowCounter } from '../../../../lib/window-counter.js';

/** lib/env.ts SIGN_IN_*: how failed sign-ins are throttled. */
export interface SignInLimits {
  windowMs: number;
  /** Failures for one email from one address before that address waits for the window. */
  maxFailures: number;
  /** Failures from one address (any email) before it waits. */
  maxFailuresPerIp: number;
  /** Failures for one email from all addresses that lock it, each time, for `lockMs`. */
  lockAfterFailures: number;
  lockMs: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = SETTING_DEFAULTS.signIn;

/** What the audit log gets of failed attempts for one email from one address. */
export interface AttemptTally {
  /** Failed or refused attempts in the window so far. */
  count: number;
  windowStart: Date;
  windowSeconds: number;
  /** Whether this count is one the log keeps (the 1st, 10th, 100th …). */
  record: boolean;
}

/**
 * Throttles password guessing. Keys are the email as typed (normalised), whether or not an
 * account has it, so the throttle answers alike for both and discloses nothing:
 * - one email from one address: after `maxFailures` failures that address waits for the window;
 * - one address: after `maxFailuresPerIp` failures (any emails) it waits for the window;
 * - one email from all addresses: every `lockAfterFailures` failures lock it for `lockMs`.
 *   Only password failures count here, not refused attempts, and one address contributes at
 *   most `maxFailures`: so only many addresses can lock an email, and only briefly, and the
 *   owner signing in from elsewhere is not kept out by one address guessing.
 * Counts live in the shared counters (Redis when REDIS_URL is set).
 */
export class SignInThrottle {
  constructor(
    private readonly counters: WindowCounter,
    private readonly limits: SignInLimits,
  ) {}

  /** RATE_LIMITED (429 with Retry-After) when this email and address must wait. */
  async check(email: string, ip: string): Promise<void> {
    const { windowMs } = this.limits;
    const [lockMs, pair, fromIp] = await Promise.all([
      this.counters.held(`signin:lock:${email}`),
      this.counters.get(`signin:pair:${email}:${ip}`, windowMs),
      this.counters.get(`signin:ip:${ip}`, windowMs),
    ]);
    const waits: number[] = [];
    if (lockMs > 0) waits.push(lockMs);
    if (pair.count >= this.limits.maxFailures) waits.push(pair.resetMs);
    if (fromIp.count >= this.limits.maxFailuresPerIp) waits.push(fromIp.resetMs);
    if (!waits.length) return;
    const seconds = Math.ceil(Math.max(...waits) / 1000);
    throw rateLimited(seconds, `Too many failed sign-ins; retry in ${seconds} s`);
  }

  /** Counts a wrong password (or a sign-up of a registered email) for this email and address. */
  async failed(email: string, ip: string): Promise<AttemptTally> {
    const { windowMs, lockAfterFailures, lockMs } = this.limits;
    const [, , forEmail, attempts] = await Promise.all([
      this.counters.add(`signin:pair:${email}:${ip}`, windowMs),
      this.counters.add(`signin:ip:${ip}`, windowMs),
      this.counters.add(`signin:email:${email}`, windowMs),
      this.counters.add(`signin:attempts:${email}:${ip}`, windowMs),
    ]);
    if (forEmail.count % lockAfterFailures === 0)
      await this.counters.hold(`signin:lock:${email}`, lockMs);
    return this.tally(attempts.count, attempts.windowStart);
  }

  /** Counts an attempt refused by the throttle (for the audit only: it waits anyway). */
  async refused(email: string, ip: string): Promise<AttemptTally> {
    const a = await this.counters.add(`signin:attempts:${email}:${ip}`, this.limits.windowMs);
    return this.tally(a.count, a.windowStart);
  }

  private tally(count: number, windowStart: number): AttemptTally {
    return {
      count,
      windowStart: new Date(windowStart),
      windowSeconds: Math.round(this.limits.windowMs / 1000),
      record: isMilestone(count),
    };
  }
}
