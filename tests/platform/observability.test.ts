import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BackgroundRunner } from '../../lib/background.js';
import { createWorkspace, eventually } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { connectWs } from '../harness/ws.js';
import { createFlow, createRun } from '../operations/fixtures.js';

let stack: Stack;
let owner: Actor;
const lines: string[] = [];

beforeAll(async () => {
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return (write as any)(chunk, ...rest);
  }) as any);
  stack = await startStack({ env: { LOG_REQUESTS: 'true' } });
  owner = await stack.signUp({ password: 'Pw-observe-Secret-9!' });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await stack?.stop();
});

async function scrape(): Promise<string> {
  const res = await fetch(stack.url.replace('/graphql', '/metrics'));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}
/** The value of one series in the exposition text (0 when absent). */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('/metrics (Prometheus)', () => {
  it('counts operations by name, type and status, with durations and subgraph fetch latency', async () => {
    const before = await scrape();
    const series = 'flowplane_graphql_requests_total{operation="WhoAmI",type="query",status="200"}';
    for (let i = 0; i < 3; i++) await owner.gql(`query WhoAmI { me { user { handle } } }`);
    await owner.gql(`query Weird_Name_${'x'.repeat(80)} { me { user { handle } } }`);
    const after = await scrape();
    expect(value(after, series) - value(before, series)).toBe(3);
    expect(after).toContain(
      'flowplane_graphql_requests_total{operation="other",type="query",status="200"}',
    );
    expect(
      value(
        after,
        'flowplane_graphql_request_duration_seconds_count{operation="WhoAmI",type="query"}',
      ) -
        value(
          before,
          'flowplane_graphql_request_duration_seconds_count{operation="WhoAmI",type="query"}',
        ),
    ).toBe(3);
    expect(
      value(after, 'flowplane_subgraph_fetch_duration_seconds_count{subgraph="users"}'),
    ).toBeGreaterThan(
      value(before, 'flowplane_subgraph_fetch_duration_seconds_count{subgraph="users"}'),
    );
  });

  it('reports outbox and bus lag, database pools, open subscriptions and deliveries', async () => {
    const ws = await createWorkspace(owner, owner.accountId);
    const flow = await createFlow(owner, ws.id);
    const before = await scrape();
    const conn = await connectWs(stack.url, { authorization: `Bearer ${owner.token}` });
    const sub = conn.subscribe(
      `subscription($w: ID!) { flowRunEvents(workspaceId: $w) { id to } }`,
      { w: ws.id },
    );
    // The subscription is registered once the server has processed `subscribe`.
    await eventually(async () =>
      expect(value(await scrape(), 'flowplane_subscriptions_open')).toBe(
        value(before, 'flowplane_subscriptions_open') + 1,
      ),
    );
    await createRun(owner, { flowId: flow.id });
    await sub.waitFor(1);
    const after = await scrape();
    expect(value(after, 'flowplane_subscription_deliveries_total')).toBe(
      value(before, 'flowplane_subscription_deliveries_total') + 1,
    );
    expect(
      value(after, 'flowplane_outbox_publish_lag_seconds_count{source="operations"}'),
    ).toBeGreaterThan(
      value(before, 'flowplane_outbox_publish_lag_seconds_count{source="operations"}'),
    );
    expect(
      value(after, 'flowplane_bus_delivery_lag_seconds_count{consumer="workspaces"}'),
    ).toBeGreaterThan(0);
    expect(after).toMatch(
      /flowplane_db_pool_connections\{subgraph="operations",state="free"\} \d+/,
    );
    expect(after).toContain('flowplane_process_cpu_user_seconds_total');
    sub.stop();
    await conn.dispose();
  });

  it('counts background passes and failures', async () => {
    vi.useFakeTimers();
    const before = await (await import('../../lib/metrics.js')).metrics.metrics();
    let n = 0;
    const runner = new BackgroundRunner(
      [
        {
          name: 'observed-job',
          intervalMs: 1000,
          runOnce: async () => {
            if (++n === 2) throw new Error('boom');
            return 1;
          },
        },
      ],
      'test',
    );
    runner.start();
    for (let i = 0; i < 3; i++) await vi.advanceTimersByTimeAsync(1000);
    await runner.stop();
    vi.useRealTimers();
    const after = await (await import('../../lib/metrics.js')).metrics.metrics();
    expect(
      value(after, 'flowplane_background_runs_total{service="observed-job",outcome="ok"}'),
    ).toBe(2);
    expect(
      value(after, 'flowplane_background_runs_total{service="observed-job",outcome="failed"}'),
    ).toBe(1);
    expect(before).not.toContain('observed-job');
  });
});

describe('logs (pino)', () => {
  it('are JSON lines with level and time; request lines carry the request id; no secret is written', async () => {
    const res = await owner.gql(`query Logged { me { user { handle } } }`);
    const requestId = res.headers.get('x-request-id');
    const key = (await owner.gql(`mutation { createApiKey(input: { name: "logged" }) { key } }`))
      .data.createApiKey.key;
    await stack.gql(
      `mutation { signIn(input: { email: "${owner.email}", password: "Wrong-Secret-123!" }) { token } }`,
    );
    const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(json.length).toBeGreaterThan(0);
    for (const l of json) {
      expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(l.level);
      expect(typeof l.time).toBe('string');
      expect(typeof l.msg).toBe('string');
    }
    const line = json.find((l) => l.msg === 'request' && l.operation === 'Logged');
    expect(line).toMatchObject({ level: 'info', requestId, type: 'query', status: 200 });
    const all = lines.join('\n');
    for (const secret of ['Pw-observe-Secret-9!', 'Wrong-Secret-123!', owner.token, key])
      expect(all).not.toContain(secret);
  });
});
