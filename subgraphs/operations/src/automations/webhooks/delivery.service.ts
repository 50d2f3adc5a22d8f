import type { BackgroundService } from '../../../../../lib/background.js';
import { runAsActor, systemActor } from '../../../../../lib/actor.js';
import { claimLeased, endLease } from '../../../../../lib/lease.js';
import type { Em } from '../../../../../lib/orm.js';
import type { SubgraphRuntime } from '../../../../../lib/module.js';
import { BlockCrypto } from '../../blocks/block-crypto.js';
import type { OperationsContext } from '../../context.js';
import { backgroundEm } from '../../services/background-em.js';
import { emitActionOutcome } from '../actions/action-events.js';
import type { ActionType } from '../actions/action-type.js';
import { secretAad } from '../actions/webhook-actions.js';
import { openTarget } from '../actions/webhook-target.js';
import {
  policyOf,
  WebhookRefused,
  type WebhookPolicy,
} from '../../../../../lib/outbound/address-policy.js';
import { sendWebhook } from '../../../../../lib/outbound/send.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';

const BATCH = 20;
/** A claim outlives the call's time limit by this much before another instance may retry. */
const LEASE_MARGIN_MS = 30_000;

export function webhookPolicy(sub: SubgraphRuntime<OperationsContext>): WebhookPolicy {
  return policyOf(sub.opts.settings);
}

/** Claims due deliveries under a lease (SKIP LOCKED on PostgreSQL: instances split them). */
async function claim(sub: SubgraphRuntime<OperationsContext>, now: Date, policy: WebhookPolicy) {
  return backgroundEm(sub.orm)
    .fork()
    .transactional((em: Em) =>
      claimLeased(
        em,
        WebhookDelivery,
        { status: 'PENDING' },
        { now, leaseMs: policy.timeoutMs + LEASE_MARGIN_MS, limit: BATCH },
      ),
    );
}

/** Records one attempt's outcome, if the lease is still ours; announces the final outcome. */
async function record(
  sub: SubgraphRuntime<OperationsContext>,
  d: WebhookDelivery,
  now: Date,
  policy: WebhookPolicy,
  outcome: { status: number } | { error: string; final: boolean },
): Promise<boolean> {
  return backgroundEm(sub.orm)
    .fork()
    .transactional(async (em: Em) => {
      const row = await endLease(em, WebhookDelivery, d);
      if (!row) return false;
      const ok = 'status' in outcome && outcome.status >= 200 && outcome.status < 300;
      if ('status' in outcome) {
        row.lastStatus = outcome.status;
        row.lastError = ok
          ? null
          : outcome.status >= 300 && outcome.status < 400
            ? `Answered ${outcome.status} (redirects are not followed)`
            : `Answered ${outcome.status}`;
      } else row.lastError = outcome.error.slice(0, 2000);
      const final =
        ok || ('final' in outcome && outcome.final) || row.attempts >= policy.maxAttempts;
      if (!final) {
        row.nextAttemptAt = new Date(now.getTime() + policy.retryBaseMs * 2 ** (row.attempts - 1));
        return false;
      }
      row.status = ok ? 'DELIVERED' : 'FAILED';
      row.completedAt = now;
      emitActionOutcome(
        em,
        { id: row.automationId, name: row.automationName, workspaceId: row.workspaceId },
        { id: row.actionId, type: row.actionType as ActionType },
        {
          kind: row.firing as 'triggered' | 'resolved',
          eventId: row.firingEventId,
          depth: row.depth,
          triggeringEventId: row.triggeringEventId ?? null,
        },
        ok
          ? {
              ok: true,
              detail: { deliveryId: row.id, statusCode: row.lastStatus, attempts: row.attempts },
            }
          : {
              ok: false,
              reason: `${row.lastError} (after ${row.attempts} attempt${row.attempts === 1 ? '' : 's'})`,
            },
        row.related,
      );
      return true;
    });
}

/**
 * Calls the URLs of due webhook deliveries: signed (HMAC-SHA256) when the action has a secret,
 * time-limited, never to internal addresses unless allowed, retried with exponential back-off
 * (WEBHOOK_RETRY_BASE_MS × 2^(attempt−1)) up to WEBHOOK_MAX_ATTEMPTS; the final outcome is a
 * `flowplane.automation.action.executed` or `.failed` event. Returns the attempts made.
 */
export function webhookDeliveryService(sub: SubgraphRuntime<OperationsContext>): BackgroundService {
  const crypto = new BlockCrypto(sub.opts.settings?.blockEncryptionKey as Buffer | undefined);
  return {
    name: 'webhook-delivery',
    intervalMs: 1_000,
    async runOnce(now = new Date()) {
      const policy = webhookPolicy(sub);
      let attempts = 0;
      let announced = 0;
      await runAsActor(systemActor('operations.webhooks'), async () => {
        for (;;) {
          const due = await claim(sub, now, policy);
          await Promise.all(
            due.map(async (d) => {
              let outcome: { status: number } | { error: string; final: boolean };
              try {
                const secret = d.secret ? crypto.decrypt(d.secret, secretAad(d.actionId)) : null;
                const target = d.target
                  ? openTarget(crypto, d.actionId, { target: d.target })
                  : { url: d.url, headers: d.headers };
                outcome = { status: await sendWebhook({ ...d, ...target, secret }, policy) };
              } catch (err) {
                outcome = {
                  error: err instanceof Error ? err.message : String(err),
                  final: err instanceof WebhookRefused,
                };
              }
              attempts++;
              if (await record(sub, d, now, policy, outcome)) announced++;
            }),
          );
          if (due.length < BATCH) break;
        }
      });
      if (announced) await sub.publish();
      return attempts;
    },
  };
}
