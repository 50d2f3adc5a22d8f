import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { resolveDeliveryAddress, type WebhookPolicy } from './address-policy.js';

/** `x-flowplane-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function signature(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export interface OutgoingRequest {
  id: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  contentType: string;
  body: string;
  /** The signing secret in clear (decrypted just before sending), or null. */
  secret: string | null;
  /** Default `flowplane-webhooks/1`. */
  userAgent?: string;
}

/** What an endpoint answered: its status and (up to 64 KiB of) its body. */
export interface Answer {
  status: number;
  body: string;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * One HTTP call: to the checked address only (no redirects followed), within the policy's time
 * limit. Resolves with the status code; rejects on refusal, network errors and timeouts.
 */
export async function sendWebhook(req: OutgoingRequest, policy: WebhookPolicy): Promise<number> {
  return (await sendRequest(req, policy)).status;
}

/**
 * `sendWebhook` keeping the answer's body (at most 64 KiB; a longer one is cut off). Signed
 * requests carry `x-flowplane-timestamp` (the `t` of the signature) besides the signature.
 */
export async function sendRequest(req: OutgoingRequest, policy: WebhookPolicy): Promise<Answer> {
  const url = new URL(req.url);
  const target = await resolveDeliveryAddress(url, policy);
  const body = Buffer.from(req.body, 'utf8');
  const headers: Record<string, string> = {
    ...req.headers,
    'content-type': req.contentType,
    'content-length': String(body.length),
    'user-agent': req.userAgent ?? 'flowplane-webhooks/1',
    'x-flowplane-delivery': req.id,
  };
  if (req.secret) {
    const t = Math.floor(Date.now() / 1000);
    headers['x-flowplane-timestamp'] = String(t);
    headers['x-flowplane-signature'] = signature(req.secret, req.body, t);
  }
  const pinned: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all)
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address: target.address, family: target.family },
      ]);
    else callback(null, target.address, target.family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<Answer>((resolve, reject) => {
    const request = client.request(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: req.method,
        headers,
        lookup: pinned,
        agent: false,
        signal: AbortSignal.timeout(policy.timeoutMs),
      },
      (res) => {
        let seen = 0;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > MAX_RESPONSE_BYTES) res.destroy();
          else chunks.push(chunk);
        });
        const done = () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        res.on('close', done);
        res.on('error', done);
      },
    );
    request.on('error', (err: Error & { code?: string }) =>
      reject(
        new Error(
          err.name === 'AbortError' || err.name === 'TimeoutError'
            ? `No answer within ${policy.timeoutMs} ms`
            : `${err.code ?? err.name}: ${err.message}`,
        ),
      ),
    );
    request.end(body);
  });
}
