import { WebhookRefused, type WebhookPolicy } from '../../../../lib/outbound/address-policy.js';
import { sendRequest, type Answer } from '../../../../lib/outbound/send.js';
import type { BlockCrypto } from '../blocks/block-crypto.js';
import { pushSecretAad, WEBHOOK_PUSH_TYPE } from '../work-pools/push-settings.js';
import type { WorkPool } from '../work-pools/work-pool.entity.js';
import {
  SubmissionRefused,
  type PushJob,
  type PushSubmitter,
  type Submitted,
} from './submitter.js';

const USER_AGENT = 'flowplane-push/1';

/** The infrastructure id in an endpoint's JSON answer (`infrastructureId`, `infrastructure_id` or `id`). */
function infrastructureIdOf(body: string): string | null {
  try {
    const j = JSON.parse(body) as Record<string, unknown>;
    const id = j?.infrastructureId ?? j?.infrastructure_id ?? j?.id;
    return typeof id === 'string' || typeof id === 'number' ? String(id).slice(0, 500) : null;
  } catch {
    return null;
  }
}

function check(answer: Answer, what: string): void {
  if (answer.status >= 200 && answer.status < 300) return;
  const detail = answer.body.trim().slice(0, 300);
  throw new Error(
    answer.status >= 300 && answer.status < 400
      ? `${what} answered ${answer.status} (redirects are not followed)`
      : `${what} answered ${answer.status}${detail ? `: ${detail}` : ''}`,
  );
}

/**
 * The "webhook-push" type: POSTs the job as JSON to the pool's URL, signed like automation
 * webhooks (`x-flowplane-signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` and
 * `x-flowplane-timestamp`), under the webhook address policy; cancels by POSTing
 * `{ flowRunId, infrastructureId }` to the cancel URL, signed the same way.
 */
export function webhookPushSubmitter(deps: {
  crypto: BlockCrypto;
  policy: () => WebhookPolicy;
}): PushSubmitter {
  const post = async (pool: WorkPool, url: string, id: string, body: unknown, what: string) => {
    if (!pool.pushSecret || !pool.pushSettings)
      throw new SubmissionRefused('The pool has no webhook push configuration');
    const secret = deps.crypto.decrypt(pool.pushSecret, pushSecretAad(pool.id));
    try {
      const answer = await sendRequest(
        {
          id,
          url,
          method: 'POST',
          headers: {},
          contentType: 'application/json',
          body: JSON.stringify(body),
          secret,
          userAgent: USER_AGENT,
        },
        deps.policy(),
      );
      check(answer, what);
      return answer;
    } catch (err) {
      if (err instanceof WebhookRefused) throw new SubmissionRefused(err.message);
      throw err;
    }
  };
  return {
    type: WEBHOOK_PUSH_TYPE,
    async submit(pool: WorkPool, job: PushJob): Promise<Submitted> {
      const answer = await post(pool, pool.pushSettings!.url, job.id, job, 'The push endpoint');
      return { infrastructureId: infrastructureIdOf(answer.body) };
    },
    async cancel(pool, run) {
      const url = pool.pushSettings?.cancelUrl;
      if (!url) return;
      await post(
        pool,
        url,
        run.submissionId,
        { flowRunId: run.flowRunId, infrastructureId: run.infrastructureId },
        'The cancel endpoint',
      );
    },
  };
}
