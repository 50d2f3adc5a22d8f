import type { IncomingMessage } from 'node:http';
import { bearer } from '../lib/http.js';

/**
 * The caller's credential: `Authorization: Bearer <key>` (Prefect Cloud mode,
 * PREFECT_API_KEY), or Basic auth whose password (or whole value) is the key (a self-hosted
 * Prefect client with PREFECT_API_AUTH_STRING="<anything>:<key>"). The gateway authenticates it.
 */
export function credentialOf(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const h = req.headers.authorization;
  if (h && /^basic\s+/i.test(h))
    return fromAuthString(
      Buffer.from(h.replace(/^basic\s+/i, '').trim(), 'base64').toString('utf8'),
    );
  return bearer(req);
}

/** The key inside a Prefect auth string (`user:key` or `key`). */
export function fromAuthString(value: string): string {
  const colon = value.indexOf(':');
  return colon >= 0 ? value.slice(colon + 1) : value;
}
