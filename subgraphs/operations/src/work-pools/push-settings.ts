import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { badInput } from '../../../../lib/errors.js';
import { validateUrl } from '../../../../lib/validation.js';
import type { BlockCrypto } from '../blocks/block-crypto.js';
import { validateParameters } from '../deployments/parameters.js';

/**
 * The push type built in: each due run is POSTed, signed, to an HTTP endpoint (a serverless
 * function, a Cloud Run service, Knative, an internal job runner) that starts it; no worker.
 */
export const WEBHOOK_PUSH_TYPE = 'webhook-push';

export const DEFAULT_PUSH_MAX_ATTEMPTS = 3;
export const DEFAULT_PUSH_RETRY_BASE_SECONDS = 10;

/** What a webhook push pool stores of its configuration (the signing secret apart, encrypted). */
export interface StoredWebhookPush {
  url: string;
  cancelUrl: string | null;
  maxAttempts: number;
  retryBaseSeconds: number;
  /** The workspace's account, recorded when the pool was configured (run credentials name it). */
  accountId: string;
}

/** The signing secret's additional authenticated data: it only decrypts for its pool. */
export const pushSecretAad = (poolId: string) => `work-pool-push-secret:${poolId}`;

@ObjectType({
  description:
    'How a webhook push pool submits its runs: where it POSTs each signed job, and how it retries. The signing secret is never shown.',
})
export class WebhookPushSettings {
  @Field(() => String, { description: 'The endpoint each due run is POSTed to, as a signed job.' })
  url!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Called (signed) when a submitted run is cancelled; null when not configured.',
  })
  cancelUrl!: string | null;

  @Field(() => Int, {
    description: 'Submission attempts before the run is marked CRASHED (default 3).',
  })
  maxAttempts!: number;

  @Field(() => Int, {
    description: 'Retry n waits retryBaseSeconds × 2^(n−1) (default 10).',
  })
  retryBaseSeconds!: number;

  @Field(() => Boolean, { description: 'Whether a signing secret is set (it is never returned).' })
  signingSecretSet!: boolean;
}

@InputType({
  description:
    'Configuration of a webhook push pool (type "webhook-push"). On update, omitted fields keep their value.',
})
export class WebhookPushInput {
  @Field(() => String, {
    nullable: true,
    description: 'The http(s) endpoint each due run is POSTed to (required on creation).',
  })
  url?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'An http(s) URL called when a submitted run is cancelled; null clears it.',
  })
  cancelUrl?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The HMAC-SHA256 signing secret, 16 to 500 characters (required on creation); stored encrypted, never readable back.',
  })
  signingSecret?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Submission attempts before the run is marked CRASHED: 1 to 20 (default 3).',
  })
  maxAttempts?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Back-off base in seconds: retry n waits base × 2^(n−1); 1 to 3600 (default 10).',
  })
  retryBaseSeconds?: number | null;
}

function intIn(v: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max)
    throw badInput(field, `An integer from ${min} to ${max}`);
  return v;
}

/**
 * The stored configuration and encrypted secret of a webhook push pool after `input` (on top of
 * `previous` when updating). BAD_USER_INPUT names the field (`webhookPush.url`, …).
 */
export function webhookPushOf(
  input: WebhookPushInput,
  previous: { settings: StoredWebhookPush | null; secret: string | null },
  ctx: { poolId: string; accountId: string; crypto: BlockCrypto },
): { settings: StoredWebhookPush; secret: string } {
  const f = 'webhookPush';
  const url =
    input.url != null ? validateUrl(input.url, `${f}.url`) : (previous.settings?.url ?? null);
  if (!url) throw badInput(`${f}.url`, 'A webhook push pool needs the URL it POSTs runs to');
  const cancelUrl =
    input.cancelUrl === undefined
      ? (previous.settings?.cancelUrl ?? null)
      : input.cancelUrl === null || input.cancelUrl === ''
        ? null
        : validateUrl(input.cancelUrl, `${f}.cancelUrl`);
  let secret = previous.secret;
  if (input.signingSecret != null) {
    if (input.signingSecret.length < 16 || input.signingSecret.length > 500)
      throw badInput(`${f}.signingSecret`, 'A signing secret is 16 to 500 characters');
    secret = ctx.crypto.encrypt(input.signingSecret, pushSecretAad(ctx.poolId));
  }
  if (!secret) throw badInput(`${f}.signingSecret`, 'A webhook push pool needs a signing secret');
  return {
    settings: {
      url,
      cancelUrl,
      maxAttempts:
        input.maxAttempts != null
          ? intIn(input.maxAttempts, `${f}.maxAttempts`, 1, 20)
          : (previous.settings?.maxAttempts ?? DEFAULT_PUSH_MAX_ATTEMPTS),
      retryBaseSeconds:
        input.retryBaseSeconds != null
          ? intIn(input.retryBaseSeconds, `${f}.retryBaseSeconds`, 1, 3600)
          : (previous.settings?.retryBaseSeconds ?? DEFAULT_PUSH_RETRY_BASE_SECONDS),
      accountId: previous.settings?.accountId ?? ctx.accountId,
    },
    secret,
  };
}

/**
 * A deployment's job variables on top of the defaults of its pool's base job template
 * (`variables.properties.*.default`), checked against that template's `variables` schema;
 * BAD_USER_INPUT names the variable (`jobVariables.memory`).
 */
export function mergedJobVariables(
  template: Record<string, unknown>,
  jobVariables: Record<string, unknown>,
  field = 'jobVariables',
): Record<string, unknown> {
  const schema = template.variables as Record<string, unknown> | undefined;
  const defaults: Record<string, unknown> = {};
  const props = (schema?.properties ?? {}) as Record<string, { default?: unknown }>;
  for (const [k, p] of Object.entries(props))
    if (p && typeof p === 'object' && 'default' in p) defaults[k] = p.default;
  const merged = { ...defaults, ...jobVariables };
  validateParameters(merged, schema ?? null, { field });
  return merged;
}
