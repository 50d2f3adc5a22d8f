import type { BlockCrypto } from '../../blocks/block-crypto.js';
import type { StoredWebhook } from './action.types.js';

/** Where a webhook goes: its URL and extra headers (often credentials: tokens in paths, keys). */
export interface WebhookTarget {
  url: string;
  headers: Record<string, string>;
}

/** What callers who may not manage automations see instead of a URL's path or a header value. */
export const TARGET_MASK = '********';

/** The target's additional authenticated data: its ciphertext only decrypts for its action. */
export const targetAad = (actionId: string) => `automation-action-target:${actionId}`;

/** The target encrypted (AES-256-GCM, the block key) for storing on the action. */
export function sealTarget(crypto: BlockCrypto, actionId: string, t: WebhookTarget): string {
  return crypto.encrypt(JSON.stringify({ url: t.url, headers: t.headers }), targetAad(actionId));
}

/** The stored target in clear (actions stored before targets were encrypted carry it plainly). */
export function openTarget(
  crypto: BlockCrypto,
  actionId: string,
  w: Pick<StoredWebhook, 'target' | 'url' | 'headers'>,
): WebhookTarget {
  if (w.target) return JSON.parse(crypto.decrypt(w.target, targetAad(actionId))) as WebhookTarget;
  return { url: w.url ?? '', headers: w.headers ?? {} };
}

/** The target as a Viewer sees it: scheme and host, every header named but masked. */
export function maskTarget(t: WebhookTarget): WebhookTarget {
  let url = TARGET_MASK;
  try {
    const u = new URL(t.url);
    url = `${u.protocol}//${u.host}/${TARGET_MASK}`;
  } catch {
    // A stored URL always parses; nothing of it is shown otherwise.
  }
  return {
    url,
    headers: Object.fromEntries(Object.keys(t.headers).map((k) => [k, TARGET_MASK])),
  };
}
