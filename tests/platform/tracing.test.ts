import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../lib/env.js';
import { configureTracing, shutdownTracing } from '../../lib/tracing.js';
import { startGatewayService, type Running } from '../../server/services.js';
import { eventually } from '../harness/seed.js';
import { spawnSubgraphs, type DistributedSubgraphs } from '../harness/processes.js';
import { requireService } from '../harness/services.js';
import { uid } from '../harness/stack.js';

const enabled = requireService('REDIS_URL');
const dir = mkdtempSync(join(tmpdir(), 'fp-trace-'));

interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}
/** What the subgraph processes export over OTLP/HTTP (JSON) to this collector. */
const collected: ExportedSpan[] = [];
let collector: Server;
let subgraphs: DistributedSubgraphs;
let gateway: Running;
const memory = new InMemorySpanExporter();

beforeAll(async () => {
  if (!enabled) return;
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const doc = JSON.parse(body);
      for (const rs of doc.resourceSpans ?? []) {
        const service = rs.resource.attributes.find((a: any) => a.key === 'service.name')?.value
          .stringValue;
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            collected.push({
              service,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || undefined,
              name: s.name,
            });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  subgraphs = await spawnSubgraphs({
    dir,
    schemaPrefix: `t_${uid(4)}_`,
    postgres: false,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
    timeoutMs: 120_000,
  });
  // The gateway runs in this process, its spans in memory.
  configureTracing({ serviceName: 'test-gateway', exporter: memory });
  const env = loadEnv({
    ...subgraphs.env,
    ...subgraphs.urls,
    PORT: '0',
    HOST: '127.0.0.1',
    NODE_ENV: 'test',
  });
  gateway = await startGatewayService(env);
}, 240_000);

afterAll(async () => {
  await gateway?.stop();
  await shutdownTracing();
  await Promise.all((subgraphs?.processes ?? []).map((p) => p.stop()));
  await new Promise<void>((r) => (collector ? collector.close(() => r()) : r()));
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!enabled)('traces (W3C traceparent, OTLP)', () => {
  it('one request is one trace: client → gateway → subgraph process (HTTP) → consumer in another process', async () => {
    const traceId = randomBytes(16).toString('hex');
    const clientSpan = randomBytes(8).toString('hex');
    const handle = `tr-${uid(4)}`;
    const res = await fetch(`http://127.0.0.1:${gateway.port}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${clientSpan}-01`,
      },
      body: JSON.stringify({
        query: `mutation { signUp(input: { email: "${handle}@example.test", password: "Pw-trace-Aa1!x", handle: "${handle}" }) { token } }`,
      }),
    });
    expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();

    const local = memory.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const server = local.find((s) => s.name === 'POST /graphql')!;
    expect(server.parentSpanContext?.spanId).toBe(clientSpan);
    const fetchSpan = local.find((s) => s.name === 'subgraph users')!;
    expect(fetchSpan).toBeDefined();

    // The users process continued the trace under the gateway's call; the workspaces process
    // applied the sign-up event (an account) as a consumer in the same trace.
    await eventually(async () => {
      const usersServer = collected.find(
        (s) =>
          s.traceId === traceId && s.service === 'flowplane-users' && s.name === 'POST /graphql',
      );
      expect(usersServer?.parentSpanId).toBe(fetchSpan.spanContext().spanId);
      const consumer = collected.find(
        (s) =>
          s.traceId === traceId &&
          s.service === 'flowplane-workspaces' &&
          s.name === 'consume user.signed-up',
      );
      expect(consumer).toBeDefined();
    }, 20_000);
    // Nothing of this request started a trace of its own.
    expect(
      collected.filter((s) => s.name === 'consume user.signed-up' && s.traceId !== traceId),
    ).toEqual([]);
  });
});
