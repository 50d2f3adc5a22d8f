import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HttpHandler } from './http.js';
import type { Orm } from './orm.js';

/**
 * The process's Prometheus metrics (`/metrics`). One registry per process; the instruments are
 * cheap counters and histograms updated where the work happens.
 */
export const metrics = new Registry();
collectDefaultMetrics({
  register: metrics,
  prefix: 'flowplane_',
  // Event-loop lag sampled every 100 ms: prom-client's default (10 ms) wakes an idle process 100
  // times a second, which cost each process 4 ms of CPU a second doing nothing (strace: an
  // `epoll_pwait` of 10 ms in a loop; bench/RESULTS.md, 2026-12-07).
  eventLoopMonitoringPrecision: 100,
});

const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LAG = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300];

export const graphqlRequests = new Counter({
  name: 'flowplane_graphql_requests_total',
  help: 'GraphQL operations answered by the gateway, by operation name, type and HTTP status.',
  labelNames: ['operation', 'type', 'status'] as const,
  registers: [metrics],
});
export const graphqlDuration = new Histogram({
  name: 'flowplane_graphql_request_duration_seconds',
  help: 'Time to answer a GraphQL operation at the gateway, by operation name and type.',
  labelNames: ['operation', 'type'] as const,
  buckets: SECONDS,
  registers: [metrics],
});
export const subgraphFetchDuration = new Histogram({
  name: 'flowplane_subgraph_fetch_duration_seconds',
  help: 'Latency of the gateway’s fetches from each subgraph.',
  labelNames: ['subgraph'] as const,
  buckets: SECONDS,
  registers: [metrics],
});
export const outboxLag = new Histogram({
  name: 'flowplane_outbox_publish_lag_seconds',
  help: 'From a domain event’s commit to its publication on the bus, by subgraph.',
  labelNames: ['source'] as const,
  buckets: LAG,
  registers: [metrics],
});
export const busLag = new Histogram({
  name: 'flowplane_bus_delivery_lag_seconds',
  help: 'From a domain event’s commit to its handling by a consumer group.',
  labelNames: ['consumer'] as const,
  buckets: LAG,
  registers: [metrics],
});
let openSubscriptions: () => number = () => 0;
/** The gateway tells how to count its open subscriptions (read when scraped). */
export function countSubscriptions(count: () => number): void {
  openSubscriptions = count;
}
export const subscriptionsOpen = new Gauge({
  name: 'flowplane_subscriptions_open',
  help: 'graphql-ws subscriptions open on this gateway.',
  registers: [metrics],
  collect() {
    this.set(openSubscriptions());
  },
});
export const subscriptionDeliveries = new Counter({
  name: 'flowplane_subscription_deliveries_total',
  help: 'Results sent to graphql-ws subscribers.',
  registers: [metrics],
});
export const backgroundRuns = new Counter({
  name: 'flowplane_background_runs_total',
  help: 'Passes of background services, by service and outcome (ok, failed).',
  labelNames: ['service', 'outcome'] as const,
  registers: [metrics],
});

/** Database connection pools, read when scraped: in use, idle and waiting per subgraph. */
const pools = new Map<string, Orm>();
new Gauge({
  name: 'flowplane_db_pool_connections',
  help: 'Database pool connections of each subgraph, by state (used, free, pending).',
  labelNames: ['subgraph', 'state'] as const,
  registers: [metrics],
  collect() {
    this.reset();
    for (const [name, orm] of pools) {
      const pool = (orm.em.getConnection() as any).getKnex?.().client?.pool;
      if (!pool) continue;
      this.set({ subgraph: name, state: 'used' }, pool.numUsed());
      this.set({ subgraph: name, state: 'free' }, pool.numFree());
      this.set({ subgraph: name, state: 'pending' }, pool.numPendingAcquires());
    }
  },
});

export function watchPool(name: string, orm: Orm): () => void {
  pools.set(name, orm);
  return () => {
    if (pools.get(name) === orm) pools.delete(name);
  };
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_NAMES = 500;
const seenNames = new Set<string>();

/**
 * The operation-name label: clients choose names, so a label is kept only for well-formed
 * names, and only the first 500 distinct ones (the rest count as "other"): a client cannot
 * blow up the number of series.
 */
export function operationLabel(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  if (!NAME.test(name)) return 'other';
  if (seenNames.has(name)) return name;
  if (seenNames.size >= MAX_NAMES) return 'other';
  seenNames.add(name);
  return name;
}

/** `GET /metrics` in Prometheus' text format. */
export function metricsHandler(enabled: boolean): HttpHandler {
  return async (_req, res, url) => {
    if (url.pathname !== '/metrics' || !enabled) return false;
    const body = await metrics.metrics();
    res.writeHead(200, { 'content-type': metrics.contentType }).end(body);
    return true;
  };
}
