import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../rest/routes/index.js';
import { createWorkspace } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { ok } from '../operations/fixtures.js';

// Every REST route that names an existing object (by id, by name, or in its body) resolves it
// inside the URL's workspace: with a key that reaches both workspaces, workspace B's object
// called under workspace A's URL answers as a missing one would (Prefect's 404) and nothing
// changes; under B's URL the same call works.
let stack: Stack;
let owner: Actor;
let key: string;
let baseA: string;
let baseB: string;
let workspaceB: string;

interface Answer {
  status: number;
  body: any;
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** A call under workspace A's URL (the wrong one for B's objects). */
const inA = (method: string, path: string, body?: unknown) => call(baseA, method, path, body);
/** A call under workspace B's URL (where the objects are). */
const inB = (method: string, path: string, body?: unknown) => call(baseB, method, path, body);

/** The body of a successful seed call under B's URL. */
async function made(method: string, path: string, body?: unknown): Promise<any> {
  const res = await inB(method, path, body);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

const FIELDS = { type: 'object', properties: { url: { type: 'string' } } };

/** Workspace B's objects, each made when a case first asks for it (fresh per case). */
function seedB() {
  const flow = once(() => made('POST', '/flows/', { name: `f-${uid(3)}` }));
  const run = once(async () => made('POST', '/flow_runs/', { flow_id: (await flow()).id }));
  const deploymentOf = (extra: Record<string, unknown>) =>
    once(async () =>
      made('POST', '/deployments/', { name: `d-${uid(3)}`, flow_id: (await flow()).id, ...extra }),
    );
  const blockType = once(() =>
    made('POST', '/block_types/', { name: 'Thing', slug: `t-${uid(3)}` }),
  );
  const blockSchema = once(async () =>
    made('POST', '/block_schemas/', { fields: FIELDS, block_type_id: (await blockType()).id }),
  );
  const limit = once(() =>
    made('POST', '/v2/concurrency_limits/', { name: `l-${uid(3)}`, limit: 5 }),
  );
  return {
    flow,
    run,
    taskRun: once(async () =>
      made('POST', '/task_runs/', {
        flow_run_id: (await run()).id,
        task_key: 'k',
        dynamic_key: '0',
      }),
    ),
    deployment: deploymentOf({}),
    pausedDeployment: deploymentOf({ paused: true }),
    // An interval far ahead: the scheduler's runs (of this deployment only) change no probe.
    scheduledDeployment: deploymentOf({ schedules: [{ schedule: { interval: 86_400 } }] }),
    pool: once(() => made('POST', '/work_pools/', { name: `p-${uid(3)}`, type: 'process' })),
    blockType,
    blockSchema,
    blockDocument: once(async () =>
      made('POST', '/block_documents/', {
        name: `b-${uid(3)}`,
        block_schema_id: (await blockSchema()).id,
        data: { url: 'https://example.com' },
      }),
    ),
    variable: once(() => made('POST', '/variables/', { name: `v_${uid(3)}`, value: 'first' })),
    limit,
    lease: once(async () =>
      made('POST', '/v2/concurrency_limits/increment-with-lease', {
        names: [(await limit()).name],
        slots: 1,
      }),
    ),
    automationOwner: once(async () => {
      const resource = `prefect.deployment.${crypto.randomUUID()}`;
      await ok(
        owner,
        `mutation($input: CreateAutomationInput!) { createAutomation(input: $input) { id } }`,
        {
          input: {
            workspaceId: workspaceB,
            name: `a-${uid(3)}`,
            ownerResource: resource,
            trigger: { event: { expect: ['x.never'] } },
            actions: [{ type: 'DO_NOTHING' }],
          },
        },
      );
      return resource;
    }),
  };
}
type B = ReturnType<typeof seedB>;

/** GraphQL reads of B for what REST does not show (counts of children). */
const count = async (query: string, vars: Record<string, unknown>) =>
  JSON.stringify(await ok(owner, query, { ws: workspaceB, ...vars }));

interface Case {
  /** The route as rest/routes declares it: `METHOD /path`. */
  route: string;
  /** The concrete path (and body) for B's objects. */
  call: (b: B) => Promise<{ path: string; body?: unknown }>;
  /** What the call would change in B (read under B's URL): the same after the call under A's. */
  probe?: (b: B) => Promise<unknown>;
  /** What A's URL answers (default 404, the answer for a missing object). */
  crossed?: number;
  /** What B's URL answers (default 200). */
  own?: number;
}

const status = async (path: string) => (await inB('GET', path)).status;
const runsOf = async (filter: unknown) =>
  (await inB('POST', '/flow_runs/filter', filter)).body.map((r: { id: string }) => r.id);
const running = { state: { type: 'RUNNING', name: 'Running' } };

const CASES: Case[] = [
  // Flows
  { route: 'GET /flows/{id}', call: async (b) => ({ path: `/flows/${(await b.flow()).id}` }) },
  {
    route: 'GET /flows/name/{name}',
    call: async (b) => ({ path: `/flows/name/${(await b.flow()).name}` }),
  },
  // Flow runs
  {
    route: 'POST /flow_runs/',
    call: async (b) => ({ path: '/flow_runs/', body: { flow_id: (await b.flow()).id } }),
    probe: async (b) => runsOf({ flows: { id: { any_: [(await b.flow()).id] } } }),
    own: 201,
  },
  {
    route: 'GET /flow_runs/{id}',
    call: async (b) => ({ path: `/flow_runs/${(await b.run()).id}` }),
  },
  {
    // The run has no summary: B's URL answers 404 too, for the summary (checked below).
    route: 'GET /flow_runs/{id}/error_summary',
    call: async (b) => ({ path: `/flow_runs/${(await b.run()).id}/error_summary` }),
    own: 404,
  },
  {
    route: 'POST /flow_runs/{id}/set_state',
    call: async (b) => ({ path: `/flow_runs/${(await b.run()).id}/set_state`, body: running }),
    probe: async (b) => (await inB('GET', `/flow_runs/${(await b.run()).id}`)).body.state_type,
    own: 201,
  },
  {
    route: 'GET /flow_run_states/',
    call: async (b) => ({ path: `/flow_run_states/?flow_run_id=${(await b.run()).id}` }),
  },
  {
    route: 'PATCH /flow_runs/{id}',
    call: async (b) => ({ path: `/flow_runs/${(await b.run()).id}`, body: { name: 'renamed' } }),
    probe: async (b) => (await inB('GET', `/flow_runs/${(await b.run()).id}`)).body.name,
    own: 204,
  },
  {
    route: 'PATCH /flow_runs/{id}/labels',
    call: async (b) => ({ path: `/flow_runs/${(await b.run()).id}/labels`, body: { team: 'x' } }),
    probe: async (b) => (await inB('GET', `/flow_runs/${(await b.run()).id}`)).body.labels,
    own: 204,
  },
  {
    route: 'DELETE /flow_runs/{id}',
    call: async (b) => ({ path: `/flow_runs/${(await b.run()).id}` }),
    probe: async (b) => status(`/flow_runs/${(await b.run()).id}`),
    own: 204,
  },
  // Task runs
  {
    route: 'POST /task_runs/',
    call: async (b) => ({
      path: '/task_runs/',
      body: { flow_run_id: (await b.run()).id, task_key: 'k2', dynamic_key: '0' },
    }),
    probe: async (b) =>
      count(`query($id: ID!) { flowRun(id: $id) { taskRuns { totalCount } } }`, {
        id: (await b.run()).id,
      }),
    own: 201,
  },
  {
    route: 'GET /task_runs/{id}',
    call: async (b) => ({ path: `/task_runs/${(await b.taskRun()).id}` }),
  },
  {
    route: 'POST /task_runs/{id}/set_state',
    call: async (b) => {
      // A task runs only while its flow run does.
      await made('POST', `/flow_runs/${(await b.run()).id}/set_state`, running);
      return { path: `/task_runs/${(await b.taskRun()).id}/set_state`, body: running };
    },
    probe: async (b) => (await inB('GET', `/task_runs/${(await b.taskRun()).id}`)).body.state_type,
    own: 201,
  },
  // Deployments
  {
    route: 'POST /deployments/',
    call: async (b) => ({
      path: '/deployments/',
      body: { name: 'made-here', flow_id: (await b.flow()).id },
    }),
    probe: async (b) => status(`/deployments/name/${(await b.flow()).name}/made-here`),
    own: 201,
  },
  {
    route: 'GET /deployments/{id}',
    call: async (b) => ({ path: `/deployments/${(await b.deployment()).id}` }),
  },
  {
    route: 'GET /deployments/name/{flow_name}/{deployment_name}',
    call: async (b) => ({
      path: `/deployments/name/${(await b.flow()).name}/${(await b.deployment()).name}`,
    }),
  },
  {
    // Pausing runs in the same operation as the change (pauseDeployment): bounded as well.
    route: 'PATCH /deployments/{id}',
    call: async (b) => ({
      path: `/deployments/${(await b.deployment()).id}`,
      body: { description: 'changed', paused: true },
    }),
    probe: async (b) => {
      const d = (await inB('GET', `/deployments/${(await b.deployment()).id}`)).body;
      return [d.description, d.paused];
    },
    own: 204,
  },
  {
    route: 'DELETE /deployments/{id}',
    call: async (b) => ({ path: `/deployments/${(await b.deployment()).id}` }),
    probe: async (b) => status(`/deployments/${(await b.deployment()).id}`),
    own: 204,
  },
  {
    route: 'POST /deployments/{id}/pause_deployment',
    call: async (b) => ({ path: `/deployments/${(await b.deployment()).id}/pause_deployment` }),
    probe: async (b) => (await inB('GET', `/deployments/${(await b.deployment()).id}`)).body.paused,
  },
  {
    route: 'POST /deployments/{id}/resume_deployment',
    call: async (b) => ({
      path: `/deployments/${(await b.pausedDeployment()).id}/resume_deployment`,
    }),
    probe: async (b) =>
      (await inB('GET', `/deployments/${(await b.pausedDeployment()).id}`)).body.paused,
  },
  {
    route: 'POST /deployments/{id}/create_flow_run',
    call: async (b) => ({
      path: `/deployments/${(await b.deployment()).id}/create_flow_run`,
      body: {},
    }),
    probe: async (b) => runsOf({ deployments: { id: { any_: [(await b.deployment()).id] } } }),
    own: 201,
  },
  {
    route: 'POST /deployments/get_scheduled_flow_runs',
    call: async (b) => ({
      path: '/deployments/get_scheduled_flow_runs',
      body: { deployment_ids: [(await b.deployment()).id] },
    }),
  },
  {
    route: 'GET /deployments/{id}/schedules',
    call: async (b) => ({ path: `/deployments/${(await b.scheduledDeployment()).id}/schedules` }),
  },
  {
    route: 'POST /deployments/{id}/schedules',
    call: async (b) => ({
      path: `/deployments/${(await b.scheduledDeployment()).id}/schedules`,
      body: [{ schedule: { interval: 172_800 } }],
    }),
    probe: async (b) =>
      (await inB('GET', `/deployments/${(await b.scheduledDeployment()).id}/schedules`)).body,
    own: 201,
  },
  {
    route: 'DELETE /deployments/{id}/schedules/{schedule_id}',
    call: async (b) => {
      const d = await b.scheduledDeployment();
      return { path: `/deployments/${d.id}/schedules/${d.schedules[0].id}` };
    },
    probe: async (b) =>
      (await inB('GET', `/deployments/${(await b.scheduledDeployment()).id}/schedules`)).body,
    own: 204,
  },
  // Work pools and queues (by name)
  {
    route: 'GET /work_pools/{name}',
    call: async (b) => ({ path: `/work_pools/${(await b.pool()).name}` }),
  },
  {
    route: 'PATCH /work_pools/{name}',
    call: async (b) => ({
      path: `/work_pools/${(await b.pool()).name}`,
      body: { description: 'changed' },
    }),
    probe: async (b) => (await inB('GET', `/work_pools/${(await b.pool()).name}`)).body.description,
    own: 204,
  },
  {
    route: 'DELETE /work_pools/{name}',
    call: async (b) => ({ path: `/work_pools/${(await b.pool()).name}` }),
    probe: async (b) => status(`/work_pools/${(await b.pool()).name}`),
    own: 204,
  },
  {
    route: 'POST /work_pools/{name}/workers/heartbeat',
    call: async (b) => ({
      path: `/work_pools/${(await b.pool()).name}/workers/heartbeat`,
      body: { name: 'w1' },
    }),
    probe: async (b) =>
      (await inB('POST', `/work_pools/${(await b.pool()).name}/workers/filter`, {})).body,
    own: 204,
  },
  {
    route: 'POST /work_pools/{name}/workers/filter',
    call: async (b) => ({ path: `/work_pools/${(await b.pool()).name}/workers/filter`, body: {} }),
  },
  {
    route: 'POST /work_pools/{name}/get_scheduled_flow_runs',
    call: async (b) => ({
      path: `/work_pools/${(await b.pool()).name}/get_scheduled_flow_runs`,
      body: {},
    }),
  },
  {
    route: 'POST /work_pools/{pool}/queues',
    call: async (b) => ({
      path: `/work_pools/${(await b.pool()).name}/queues`,
      body: { name: 'q2' },
    }),
    probe: async (b) =>
      (await inB('POST', `/work_pools/${(await b.pool()).name}/queues/filter`, {})).body,
    own: 201,
  },
  {
    route: 'GET /work_pools/{pool}/queues/{name}',
    call: async (b) => ({ path: `/work_pools/${(await b.pool()).name}/queues/default` }),
  },
  {
    route: 'PATCH /work_pools/{pool}/queues/{name}',
    call: async (b) => ({
      path: `/work_pools/${(await b.pool()).name}/queues/default`,
      body: { description: 'changed' },
    }),
    probe: async (b) =>
      (await inB('GET', `/work_pools/${(await b.pool()).name}/queues/default`)).body.description,
    own: 204,
  },
  {
    route: 'POST /work_pools/{pool}/queues/filter',
    call: async (b) => ({ path: `/work_pools/${(await b.pool()).name}/queues/filter`, body: {} }),
  },
  {
    route: 'GET /work_queues/{id}',
    call: async (b) => ({ path: `/work_queues/${(await b.pool()).default_queue_id}` }),
  },
  // Blocks
  {
    route: 'GET /block_types/slug/{slug}',
    call: async (b) => ({ path: `/block_types/slug/${(await b.blockType()).slug}` }),
  },
  {
    route: 'PATCH /block_types/{id}',
    call: async (b) => ({
      path: `/block_types/${(await b.blockType()).id}`,
      body: { description: 'changed' },
    }),
    probe: async (b) =>
      (await inB('GET', `/block_types/slug/${(await b.blockType()).slug}`)).body.description,
    own: 204,
  },
  {
    route: 'GET /block_schemas/checksum/{checksum}',
    call: async (b) => ({ path: `/block_schemas/checksum/${(await b.blockSchema()).checksum}` }),
  },
  {
    route: 'POST /block_schemas/',
    call: async (b) => ({
      path: '/block_schemas/',
      body: { fields: FIELDS, block_type_id: (await b.blockType()).id, version: '2' },
    }),
    probe: async () =>
      count(
        `query($ws: ID!) { workspace(id: $ws) { blockTypes(first: 200) { edges { node { id schemas { id } } } } } }`,
        {},
      ),
    own: 201,
  },
  {
    route: 'POST /block_documents/',
    call: async (b) => ({
      path: '/block_documents/',
      body: { name: 'made-here', block_schema_id: (await b.blockSchema()).id, data: { url: 'x' } },
    }),
    probe: async (b) =>
      status(`/block_types/slug/${(await b.blockType()).slug}/block_documents/name/made-here`),
    own: 201,
  },
  {
    route: 'GET /block_documents/{id}',
    call: async (b) => ({ path: `/block_documents/${(await b.blockDocument()).id}` }),
  },
  {
    route: 'GET /block_types/slug/{slug}/block_documents/name/{name}',
    call: async (b) => ({
      path: `/block_types/slug/${(await b.blockType()).slug}/block_documents/name/${(await b.blockDocument()).name}`,
    }),
  },
  {
    route: 'PATCH /block_documents/{id}',
    call: async (b) => ({
      path: `/block_documents/${(await b.blockDocument()).id}`,
      body: { data: { url: 'https://changed.example.com' } },
    }),
    probe: async (b) =>
      (await inB('GET', `/block_documents/${(await b.blockDocument()).id}`)).body.data,
    own: 204,
  },
  {
    route: 'DELETE /block_documents/{id}',
    call: async (b) => ({ path: `/block_documents/${(await b.blockDocument()).id}` }),
    probe: async (b) => status(`/block_documents/${(await b.blockDocument()).id}`),
    own: 204,
  },
  // Variables (by name)
  {
    route: 'GET /variables/name/{name}',
    call: async (b) => ({ path: `/variables/name/${(await b.variable()).name}` }),
  },
  {
    // Prefect's PATCH changes a variable of the URL's workspace or 404s: it creates none in A.
    route: 'PATCH /variables/name/{name}',
    call: async (b) => ({
      path: `/variables/name/${(await b.variable()).name}`,
      body: { value: 'changed' },
    }),
    probe: async (b) => {
      const path = `/variables/name/${(await b.variable()).name}`;
      return [(await inB('GET', path)).body.value, (await inA('GET', path)).status];
    },
    own: 204,
  },
  // Global concurrency limits and leases
  {
    route: 'GET /v2/concurrency_limits/{name}',
    call: async (b) => ({ path: `/v2/concurrency_limits/${(await b.limit()).name}` }),
  },
  {
    // A name A has no limit of is not limited there (as in Prefect): B's slots stay free.
    route: 'POST /v2/concurrency_limits/increment-with-lease',
    call: async (b) => ({
      path: '/v2/concurrency_limits/increment-with-lease',
      body: { names: [(await b.limit()).name], slots: 2 },
    }),
    probe: async (b) =>
      (await inB('GET', `/v2/concurrency_limits/${(await b.limit()).name}`)).body.active_slots,
    crossed: 200,
  },
  {
    // B's lease is an unknown lease under A's URL: nothing is released (204, as for any unknown).
    route: 'POST /v2/concurrency_limits/decrement-with-lease',
    call: async (b) => ({
      path: '/v2/concurrency_limits/decrement-with-lease',
      body: { lease_id: (await b.lease()).lease_id },
    }),
    probe: async (b) =>
      (await inB('GET', `/v2/concurrency_limits/${(await b.limit()).name}`)).body.active_slots,
    crossed: 204,
    own: 204,
  },
  {
    // An unknown lease: 410, as for one released or expired.
    route: 'POST /v2/concurrency_limits/leases/{id}/renew',
    call: async (b) => ({
      path: `/v2/concurrency_limits/leases/${(await b.lease()).lease_id}/renew`,
      body: { lease_duration: 600 },
    }),
    crossed: 410,
    own: 204,
  },
  // Automations, logs, artifacts: what they name is looked up in (or written to) A only.
  {
    route: 'DELETE /automations/owned-by/{resource_id}',
    call: async (b) => ({ path: `/automations/owned-by/${await b.automationOwner()}` }),
    probe: async () =>
      count(
        `query($ws: ID!) { workspace(id: $ws) { automations(first: 200) { totalCount } } }`,
        {},
      ),
    crossed: 202,
    own: 202,
  },
  {
    // Prefect stores log lines without checking their run; they land in A, never on B's run.
    route: 'POST /logs/',
    call: async (b) => ({
      path: '/logs/',
      body: [
        {
          level: 20,
          message: 'hello',
          timestamp: new Date().toISOString(),
          flow_run_id: (await b.run()).id,
        },
      ],
    }),
    probe: async (b) =>
      count(
        `query($ws: ID!, $run: ID!) { workspace(id: $ws) { logs(filter: { flowRunId: $run }) { totalCount } } }`,
        { run: (await b.run()).id },
      ),
    crossed: 201,
    own: 201,
  },
  {
    // A run the body names must be the URL workspace's: 422 on the field, as for a missing one.
    route: 'POST /artifacts/',
    call: async (b) => ({
      path: '/artifacts/',
      body: { type: 'markdown', data: '# hi', flow_run_id: (await b.run()).id },
    }),
    probe: async (b) =>
      count(
        `query($ws: ID!, $run: ID!) { workspace(id: $ws) { artifacts(filter: { flowRunId: $run }) { totalCount } } }`,
        { run: (await b.run()).id },
      ),
    crossed: 422,
    own: 201,
  },
];

/** Routes that name no existing object: they create in, or list, the URL's workspace. */
const NAMING_NOTHING = [
  'POST /flows/',
  'POST /flows/filter',
  'POST /flow_runs/filter',
  'POST /deployments/filter',
  'POST /work_pools/',
  'POST /work_pools/filter',
  'POST /block_types/',
  'POST /variables/',
  'POST /variables/filter',
  'POST /v2/concurrency_limits/',
];

beforeAll(async () => {
  stack = await startStack();
  owner = await stack.signUp();
  const a = (await createWorkspace(owner, owner.accountId)).id;
  workspaceB = (await createWorkspace(owner, owner.accountId)).id;
  const api = `${stack.url.replace(/\/graphql$/, '')}/api/accounts/${owner.accountId}/workspaces`;
  baseA = `${api}/${a}`;
  baseB = `${api}/${workspaceB}`;
  // The account owner's key reaches both workspaces: only the URL tells them apart.
  key = (await ok(owner, `mutation { createApiKey(input: { name: "rest" }) { key } }`, {}))
    .createApiKey.key;
});

afterAll(async () => {
  await stack?.stop();
});

describe('REST routes stay inside the URL’s workspace', () => {
  it('every workspace route that runs an operation is in the table below or names nothing', () => {
    const declared = routes
      .filter((r) => r.scope === 'workspace' && r.operation)
      .map((r) => `${r.method} ${r.path}`);
    const covered = [...CASES.map((c) => c.route), ...NAMING_NOTHING];
    expect(declared.filter((r) => !covered.includes(r))).toEqual([]);
    expect(covered.filter((r) => !declared.includes(r))).toEqual([]);
  });

  it.each(CASES.map((c) => [c.route, c] as const))(
    '%s: B’s object under A’s URL answers as a missing one and changes nothing',
    async (_, c) => {
      const method = c.route.split(' ')[0]!;
      const b = seedB();
      const { path, body } = await c.call(b);
      const before = await c.probe?.(b);

      const crossed = await inA(method, path, body);
      expect(crossed.status, JSON.stringify(crossed.body)).toBe(c.crossed ?? 404);
      if (crossed.status === 404) expect(crossed.body.detail).toMatch(/not found/i);
      if (c.probe) expect(await c.probe(b)).toEqual(before);

      const own = await inB(method, path, body);
      expect(own.status, JSON.stringify(own.body)).toBe(c.own ?? 200);
      // The probe sees the change the call makes under B's URL (it would have seen A's).
      if (c.probe) expect(await c.probe(b)).not.toEqual(before);
      if (c.route === 'GET /flow_runs/{id}/error_summary') {
        expect(crossed.body.detail).toBe('FlowRun not found');
        expect(own.body.detail).toBe('Error summary not found');
      }
    },
  );
});
