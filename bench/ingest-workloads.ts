/**
 * Event-ingest workloads shared by bench:hot-path and bench:profile:hot-path: `emitEvents` in
 * batches, single events from many clients, and Prefect's events websocket.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { graphqlClient, type GraphqlCall } from './http-client.js';

/** A realistic client event: labels, two related resources, a small payload. */
export function flowplaneEvent(name: string, n: number) {
  return {
    event: `${name}.${['created', 'paid', 'shipped', 'delivered'][n % 4]}`,
    resource: {
      id: `acme.order.${n % 500}`,
      labels: { 'flowplane.resource.name': `Order ${n % 500}`, region: ['eu', 'us'][n % 2]! },
    },
    related: [
      { id: `acme.customer.${n % 97}`, role: 'customer' },
      { id: `acme.warehouse.${n % 7}`, role: 'warehouse', labels: { zone: `z${n % 3}` } },
    ],
    payload: { amount: (n * 7919) % 10007, items: n % 9, note: `order ${n} step` },
  };
}

/** The same event as Prefect's clients send it on the events socket. */
export function prefectEvent(name: string, n: number) {
  const e = flowplaneEvent(name, n);
  return {
    id: randomUUID(),
    occurred: new Date().toISOString(),
    event: e.event,
    resource: { 'prefect.resource.id': e.resource.id, ...e.resource.labels },
    related: e.related.map((r) => ({
      'prefect.resource.id': r.id,
      'prefect.resource.role': r.role,
      ...r.labels,
    })),
    payload: e.payload,
  };
}

export const EMIT = `mutation Emit($input: EmitEventsInput!) { emitEvents(input: $input) }`;
const COUNT = `query($w: ID!, $p: String!) { workspace(id: $w) {
  events(first: 1, filter: { namePrefixes: [$p] }) { totalCount } } }`;

/** Where events go: a gateway, a credential and a workspace. */
export interface IngestTarget {
  url: string;
  token: string;
  workspaceId: string;
}

/** A fresh event-name prefix, so each workload counts only its own events. */
export const eventPrefix = (label: string) => `${label}${randomBytes(3).toString('hex')}`;

/** `batches` calls of 100 events from `clients` concurrent clients: events stored. */
export async function emitBatched(t: IngestTarget, batches: number, clients = 4): Promise<number> {
  const call = graphqlClient(t.url, t.token, clients);
  const name = eventPrefix('batched');
  let next = 0;
  let stored = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < batches) {
        const b = next++;
        const events = Array.from({ length: 100 }, (_, i) => flowplaneEvent(name, b * 100 + i));
        const res = await call(EMIT, { input: { workspaceId: t.workspaceId, events } });
        stored += res.emitEvents as number;
      }
    }),
  );
  return stored;
}

/** `count` calls of one event each from `clients` concurrent clients: events stored. */
export async function emitSingles(t: IngestTarget, count: number, clients = 16): Promise<number> {
  const call = graphqlClient(t.url, t.token, clients);
  const name = eventPrefix('single');
  let next = 0;
  let stored = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) {
        const n = next++;
        const res = await call(EMIT, {
          input: { workspaceId: t.workspaceId, events: [flowplaneEvent(name, n)] },
        });
        stored += res.emitEvents as number;
      }
    }),
  );
  return stored;
}

/**
 * Prefect's events socket (`…/events/in`): `sockets` connections send `total` events at once
 * (each message one event, as Prefect's client does); resolves once every event is stored
 * (polling the workspace's event count): events stored.
 */
export async function emitOverSocket(t: IngestTarget, total: number, sockets = 4): Promise<number> {
  const call: GraphqlCall = graphqlClient(t.url, t.token, 2);
  const accountId = (
    await call(`query($w: ID!) { workspace(id: $w) { account { id } } }`, { w: t.workspaceId })
  ).workspace.account.id as string;
  const base = t.url.replace(/^http/, 'ws').replace(/\/graphql$/, '');
  const path = `/api/accounts/${accountId}/workspaces/${t.workspaceId}/events/in`;
  const open = await Promise.all(
    Array.from(
      { length: sockets },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(base + path, {
            headers: { authorization: `Bearer ${t.token}` },
          });
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        }),
    ),
  );
  const name = eventPrefix('socket');
  const perSocket = Math.floor(total / sockets);
  const frames = open.map((_, k) =>
    Array.from({ length: perSocket }, (_, i) =>
      JSON.stringify(prefectEvent(name, k * perSocket + i)),
    ),
  );
  try {
    open.forEach((ws, k) => {
      for (const f of frames[k]!) ws.send(f);
    });
    for (;;) {
      const stored = (await call(COUNT, { w: t.workspaceId, p: name })).workspace.events
        .totalCount as number;
      if (stored >= perSocket * sockets) return stored;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    for (const ws of open) ws.close();
  }
}
