import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS } from '../fixtures/error-summaries/corpus.js';
import { eventually, join } from '../harness/seed.js';
import { requirePython } from '../harness/services.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { createFlow, createRun, ok } from '../operations/fixtures.js';
import { prefectEnv } from '../prefect/prefect.js';
import {
  failingRun,
  setSummaries,
  workspaceOf,
  writeSummaries,
} from '../error-summaries/helpers.js';

// `FlowRun.errorSummary` through the REST layer: Prefect's flow run JSON gains `error_summary`
// (null without see_logs, never a 403 for the run), and Flowplane's own
// `GET /flow_runs/{id}/error_summary` answers it alone (404 when there is none).
const bin = requirePython();
const MISSING_MODULE = CORPUS[0]!.input.logs.map((l) => ({ message: l.message, level: l.level }));

let stack: Stack;
let alice: Actor;
let worker: Actor;
let ws: string;
let otherWs: string;
let aliceKey: string;
let workerKey: string;
let failed: { runId: string; stateId: string };
let otherFailed: { runId: string; stateId: string };

const apiBase = () => `${stack.url.replace(/\/graphql$/, '')}/api`;
const wsUrl = (workspaceId: string) =>
  `${apiBase()}/accounts/${alice.accountId}/workspaces/${workspaceId}`;

async function keyOf(actor: Pick<Actor, 'gql'>): Promise<string> {
  const d = await ok(actor, `mutation { createApiKey(input: { name: "rest" }) { key } }`, {});
  return d.createApiKey.key;
}

async function rest(
  key: string,
  method: string,
  path: string,
  body?: unknown,
  workspaceId = ws,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${wsUrl(workspaceId)}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
  ws = await workspaceOf(stack, alice);
  otherWs = await workspaceOf(stack, alice);
  await setSummaries(stack, alice, true);
  worker = await join(stack, alice, { workspace: { id: ws, role: 'WORKER' } });
  aliceKey = await keyOf(alice);
  workerKey = await keyOf(worker);
  failed = await failingRun(alice, ws, {
    lines: MISSING_MODULE,
    final: 'FAILED',
    message: "Flow run encountered an exception: ModuleNotFoundError: No module named 'pandas'",
  });
  otherFailed = await failingRun(alice, otherWs, {
    lines: MISSING_MODULE,
    final: 'FAILED',
    message: null,
  });
  expect(await writeSummaries(stack)).toBe(2);
});
afterAll(() => stack?.stop());

const EXPECTED = () => ({
  flow_run_id: failed.runId,
  state_id: failed.stateId,
  engine: 'BUILT_IN',
  fix_kind: 'MISSING_MODULE',
  fix_hint: expect.stringContaining('"pandas"'),
  explanation: expect.stringContaining('ModuleNotFoundError'),
  signature: expect.stringMatching(/^[0-9a-f]{32}$/),
  failed: expect.any(String),
  created: expect.any(String),
  root_cause: {
    exception_type: 'ModuleNotFoundError',
    message: "No module named 'pandas'",
    task_name: null,
    task_run_id: null,
    file: '/opt/prefect/flows/etl.py',
    line: 14,
    function: 'etl',
    chain: ['ModuleNotFoundError'],
    exit_code: null,
  },
});

describe('error_summary in Prefect’s flow run JSON', () => {
  it('GET /flow_runs/{id} and POST /flow_runs/filter carry the summary of a failed run', async () => {
    const read = await rest(aliceKey, 'GET', `/flow_runs/${failed.runId}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: failed.runId, state_type: 'FAILED' });
    expect(read.body.error_summary).toMatchObject(EXPECTED());

    const list = await rest(aliceKey, 'POST', '/flow_runs/filter', {
      flow_runs: { id: { any_: [failed.runId] } },
    });
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(1);
    expect(list.body[0].error_summary).toEqual(read.body.error_summary);
  });

  it('is null for a run without a failure', async () => {
    const run = await createRun(alice, { flowId: (await createFlow(alice, ws)).id });
    const read = await rest(aliceKey, 'GET', `/flow_runs/${run.id}`);
    expect(read.status).toBe(200);
    expect(read.body.error_summary).toBeNull();
  });

  it('without see_logs the run is read with error_summary null, not refused (and not audited)', async () => {
    const read = await rest(workerKey, 'GET', `/flow_runs/${failed.runId}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      id: failed.runId,
      state_type: 'FAILED',
      error_summary: null,
    });
    const list = await rest(workerKey, 'POST', '/flow_runs/filter', {
      flow_runs: { id: { any_: [failed.runId] } },
    });
    expect(list.status).toBe(200);
    expect(list.body.map((r: any) => [r.id, r.error_summary])).toEqual([[failed.runId, null]]);

    // The dedicated route is an explicit request for the summary: refused, and audited.
    const refused = await rest(workerKey, 'GET', `/flow_runs/${failed.runId}/error_summary`);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/see_logs/);
    // Only that refusal is in the audit log: the reads above asked for no summary.
    await eventually(async () => {
      const d = await ok(
        alice,
        `query($a: ID!) { auditEvents(accountId: $a, first: 50) { edges { node { action actor { id } } } } }`,
        { a: alice.accountId },
      );
      const denied = d.auditEvents.edges
        .map((e: any) => e.node)
        .filter((e: any) => e.actor?.id === worker.userId && e.action.endsWith('.denied'));
      expect(denied.map((e: any) => e.action)).toEqual(['log.denied']);
    });
  });

  it.skipIf(!bin)('Prefect’s client still parses the runs it reads', async () => {
    const script = [
      'import json, sys',
      'from uuid import UUID',
      'from prefect.client.orchestration import get_client',
      'from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId',
      'with get_client(sync_client=True) as c:',
      '    run = c.read_flow_run(UUID(sys.argv[1]))',
      '    runs = c.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])))',
      '    print("RESULT " + json.dumps({"id": str(run.id), "state": run.state.type.value, "listed": [str(r.id) for r in runs]}))',
    ].join('\n');
    const env = prefectEnv(wsUrl(ws), aliceKey, apiBase());
    const out = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(`${bin}/python`, ['-c', script, failed.runId], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c) => (output += c));
      child.stderr.on('data', (c) => (output += c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
    });
    expect(out.code, out.output).toBe(0);
    const line = out.output.split('\n').find((l) => l.startsWith('RESULT '))!;
    expect(JSON.parse(line.slice(7))).toEqual({
      id: failed.runId,
      state: 'FAILED',
      listed: [failed.runId],
    });
  });
});

describe('GET /flow_runs/{id}/error_summary (Flowplane extension)', () => {
  it('answers the summary of a failed run', async () => {
    const res = await rest(aliceKey, 'GET', `/flow_runs/${failed.runId}/error_summary`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject(EXPECTED());
  });

  it('404s for a run without one and for a run of another workspace', async () => {
    const run = await createRun(alice, { flowId: (await createFlow(alice, ws)).id });
    const none = await rest(aliceKey, 'GET', `/flow_runs/${run.id}/error_summary`);
    expect(none).toEqual({ status: 404, body: { detail: 'Error summary not found' } });
    // alice can see the other workspace's run, but it is not this workspace's.
    const other = await rest(aliceKey, 'GET', `/flow_runs/${otherFailed.runId}/error_summary`);
    expect(other).toEqual({ status: 404, body: { detail: 'FlowRun not found' } });
    const there = await rest(
      aliceKey,
      'GET',
      `/flow_runs/${otherFailed.runId}/error_summary`,
      undefined,
      otherWs,
    );
    expect(there.status).toBe(200);
    expect(there.body.flow_run_id).toBe(otherFailed.runId);
  });

  it('is documented as not in Prefect’s API', async () => {
    const doc: any = await (await fetch(`${apiBase()}/openapi.json`)).json();
    const op =
      doc.paths['/api/accounts/{account_id}/workspaces/{workspace_id}/flow_runs/{id}/error_summary']
        .get;
    expect(op.tags).toContain('Flowplane extensions');
    expect(op.description).toMatch(/Not in Prefect’s API/);
    expect(doc.tags.find((t: any) => t.name === 'Flowplane extensions').description).toMatch(
      /Not in Prefect’s API/,
    );
    const run =
      doc.paths['/api/accounts/{account_id}/workspaces/{workspace_id}/flow_runs/{id}'].get;
    expect(
      run.responses['200'].content['application/json'].schema.properties.error_summary,
    ).toBeDefined();
  });
});
