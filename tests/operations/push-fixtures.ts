import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Stack } from '../harness/stack.js';
import { service } from './automation-fixtures.js';
import { ok } from './fixtures.js';
import type { Actor } from '../harness/stack.js';

export const PUSH_SECRET = 'whsec-push-0123456789abcdef';

export const CREATE_PUSH_POOL = `mutation($input: CreateWorkPoolInput!) {
  createWorkPool(input: $input) {
    id name type status
    webhookPush { url cancelUrl maxAttempts retryBaseSeconds signingSecretSet }
  }
}`;

export interface PushRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
  /** Whether x-flowplane-signature verified with the pool's secret and matched the timestamp. */
  signed: boolean;
}

/** Verifies `x-flowplane-signature: t=<unix>,v1=<hex>` as a receiver would. */
export function verifySignature(
  secret: string,
  headers: http.IncomingHttpHeaders,
  body: string,
): boolean {
  const sig = String(headers['x-flowplane-signature'] ?? '');
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig);
  if (!m || headers['x-flowplane-timestamp'] !== m[1]) return false;
  if (Math.abs(Date.now() / 1000 - Number(m[1])) > 300) return false;
  const mac = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(mac, Buffer.from(m[2]!, 'hex'));
}

/**
 * A job receiver on 127.0.0.1: records every request (signature checked with `secret`) and
 * answers what `answer` says (default 200 with an infrastructure id).
 */
export async function pushReceiver(
  secret: string,
  answer: (
    r: PushRequest,
  ) => { status: number; body?: string } | Promise<{ status: number; body?: string }> = (r) => ({
    status: 200,
    body: JSON.stringify({ infrastructureId: `job-${r.json?.flowRun?.id ?? 'x'}` }),
  }),
) {
  const received: PushRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: any;
      try {
        json = JSON.parse(body);
      } catch {
        json = null;
      }
      const r = {
        path: req.url!,
        headers: req.headers,
        body,
        json,
        signed: verifySignature(secret, req.headers, body),
      };
      received.push(r);
      const a = await answer(r);
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body ?? '{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    received,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export async function createPushPool(
  by: Pick<Actor, 'gql'>,
  workspaceId: string,
  name: string,
  webhookPush: Record<string, unknown>,
  over: Record<string, unknown> = {},
) {
  const d = await ok(by, CREATE_PUSH_POOL, {
    input: { workspaceId, name, type: 'webhook-push', webhookPush, ...over },
  });
  return d.createWorkPool;
}

/** One pass of the push service (claims, submissions, cancellations) at `now`. */
export const pushOnce = (stack: Stack, now = new Date(Date.now() + 1000)) =>
  service(stack, 'push-submitter').runOnce(now);
