/**
 * CALL_WEBHOOK and SEND_NOTIFICATION: the consumer's transaction only renders the request and
 * records a delivery row; the delivery service (webhooks/delivery.service.ts) calls the URL
 * later, signs it, retries it, and announces the outcome.
 */
import { badInput } from '../../../../../lib/errors.js';
import { WebhookDelivery } from '../webhooks/webhook-delivery.entity.js';
import { ActionType } from './action-type.js';
import type { ActionHandler, ActionRun, StoredWebhook } from './action.types.js';
import { triggeringRelated } from './action-events.js';
import type { WebhookInput } from './action.inputs.js';
import { isJsonType, render, validateJsonTemplate, validateTemplate } from './template.js';
import { templateValues } from './template-values.js';
import { maskTarget, openTarget, sealTarget } from './webhook-target.js';

const MAX_BODY = 64 * 1024;
const MAX_HEADERS = 20;
/** Headers the delivery sets itself. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'connection',
  'transfer-encoding',
  'x-flowplane-signature',
  'x-flowplane-delivery',
]);
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;

/** The secret's additional authenticated data: a ciphertext only decrypts for its action. */
export const secretAad = (actionId: string) => `automation-action:${actionId}`;

function validateUrl(value: string, field: string): string {
  if (value.length > 2000) throw badInput(field, 'At most 2000 characters');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badInput(field, 'Not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw badInput(field, 'Only http and https URLs');
  if (url.username || url.password) throw badInput(field, 'No credentials in the URL');
  return url.toString();
}

function validateHeaders(value: unknown, field: string): Record<string, string> {
  if (value == null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw badInput(field, 'A JSON object of strings');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_HEADERS) throw badInput(field, `At most ${MAX_HEADERS} headers`);
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (!HEADER_NAME.test(k)) throw badInput(`${field}.${k}`, 'Not a header name');
    if (RESERVED_HEADERS.has(k.toLowerCase()))
      throw badInput(`${field}.${k}`, 'This header is set by the delivery');
    if (typeof v !== 'string' || v.length > 2000 || /[\r\n\0]/.test(v))
      throw badInput(`${field}.${k}`, 'A header value is a string of at most 2000 characters');
    out[k] = v;
  }
  return out;
}

function webhookHandler(type: ActionType.CALL_WEBHOOK | ActionType.SEND_NOTIFICATION) {
  const notification = type === ActionType.SEND_NOTIFICATION;
  const handler: ActionHandler = {
    target: null,
    // It sends what the triggering event of this workspace says, nothing more.
    does: [],
    async validate(input, field, v) {
      const w: WebhookInput | null | undefined = input.webhook;
      const f = `${field}.webhook`;
      if (!w) throw badInput(f, `${type} needs a webhook`);
      const contentType = notification ? 'application/json' : (w.contentType ?? 'application/json');
      if (!/^[\w.+-]+\/[\w.+-]+(\s*;[^\r\n]*)?$/.test(contentType) || contentType.length > 200)
        throw badInput(`${f}.contentType`, 'Not a content type');
      if (w.body != null) {
        if (Buffer.byteLength(w.body) > MAX_BODY)
          throw badInput(`${f}.body`, `At most ${MAX_BODY} bytes`);
        validateTemplate(w.body, `${f}.body`);
        if (!notification && isJsonType(contentType)) validateJsonTemplate(w.body, `${f}.body`);
      }
      if (notification) {
        if (!w.subject) throw badInput(`${f}.subject`, 'A notification needs a subject');
        if (w.body == null) throw badInput(`${f}.body`, 'A notification needs a body');
      }
      if (w.subject != null) {
        if (w.subject.length > 1000) throw badInput(`${f}.subject`, 'At most 1000 characters');
        validateTemplate(w.subject, `${f}.subject`);
      }
      let secret: string | null = v.previous?.webhook?.secret ?? null;
      if (w.secret === '') secret = null;
      else if (w.secret != null) {
        if (w.secret.length < 16 || w.secret.length > 500)
          throw badInput(`${f}.secret`, 'A secret is 16 to 500 characters');
        secret = v.ctx.blockCrypto.encrypt(w.secret, secretAad(v.actionId));
      }
      const target = {
        url: validateUrl(w.url, `${f}.url`),
        headers: validateHeaders(w.headers, `${f}.headers`),
      };
      // An unchanged target keeps its ciphertext (an update that names the action changes
      // nothing there).
      const before = v.previous?.webhook
        ? openTarget(v.ctx.blockCrypto, v.actionId, v.previous.webhook)
        : null;
      const same =
        before && v.previous?.webhook?.target && JSON.stringify(before) === JSON.stringify(target);
      const stored: StoredWebhook = {
        target: same
          ? v.previous!.webhook!.target!
          : sealTarget(v.ctx.blockCrypto, v.actionId, target),
        method: w.method ?? 'POST',
        contentType,
        body: w.body ?? null,
        subject: notification ? w.subject! : null,
        secret,
      };
      return { webhook: stored };
    },
    async execute(r: ActionRun) {
      const w = r.action.webhook!;
      const target = openTarget(r.ctx.blockCrypto, r.action.id, w);
      const values = templateValues(r.automation, r.firing);
      let body: string;
      if (notification) {
        body = JSON.stringify({
          subject: render(w.subject ?? '', values),
          body: render(w.body ?? '', values),
          automation: { id: r.automation.id, name: r.automation.name },
          firing: r.firing.kind,
          eventId: r.firing.event?.id ?? null,
        });
      } else if (w.body == null) {
        body = JSON.stringify({
          automation: { id: r.automation.id, name: r.automation.name },
          firing: r.firing.kind,
          firingEventId: r.firing.eventId,
          event: r.firing.event,
        });
      } else {
        body = render(w.body, values, isJsonType(w.contentType));
      }
      const delivery = r.em.create(WebhookDelivery, {
        workspaceId: r.automation.workspaceId,
        automationId: r.automation.id,
        automationName: r.automation.name,
        actionId: r.action.id,
        actionType: r.action.type,
        firing: r.firing.kind,
        firingEventId: r.firing.eventId,
        triggeringEventId: r.firing.event?.id ?? null,
        depth: r.firing.depth,
        related: triggeringRelated(r.firing.event),
        // The target travels encrypted as the action stores it; the row shows only its host.
        target: w.target ?? sealTarget(r.ctx.blockCrypto, r.action.id, target),
        url: maskTarget(target).url,
        method: w.method,
        headers: {},
        contentType: w.contentType,
        body,
        secret: w.secret,
        nextAttemptAt: r.now,
      } as WebhookDelivery);
      return { deferred: true, detail: { deliveryId: delivery.id } };
    },
  };
  return handler;
}

export const webhookActionHandlers = {
  CALL_WEBHOOK: webhookHandler(ActionType.CALL_WEBHOOK),
  SEND_NOTIFICATION: webhookHandler(ActionType.SEND_NOTIFICATION),
} satisfies Record<string, ActionHandler>;
