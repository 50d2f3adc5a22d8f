import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, eventually, join } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { ok } from '../operations/fixtures.js';

// The REST layer over HTTP: the same authorization as GraphQL (scenario 6), Prefect-shaped
// errors, and writes that never half-apply.
let stack: Stack;
let owner: Actor;
let workspaceId: string;
let base: string;
let ownerKey: string;

async function keyOf(actor: Pick<Actor, 'gql'>): Promise<{ key: string; id: string }> {
  const d = await ok(
    actor,
    `mutation { createApiKey(input: { name: "rest" }) { key apiKey { id } } }`,
    {},
  );
  return { key: d.createApiKey.key, id: d.createApiKey.apiKey.id };
}

interface RestAnswer {
  status: number;
  body: any;
  headers: Headers;
}

type RestArgs = [
  method: string,
  path: string,
  key: string | undefined,
  body?: unknown,
  raw?: string,
];

const rest = (...args: RestArgs) => restAt(base, ...args);

/** A call under another workspace's URL (`at`: its base). */
async function restAt(
  at: string,
  ...[method, path, key, body, raw]: RestArgs
): Promise<RestAnswer> {
  const res = await fetch(`${at}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'prefect/3.9.1 (API 0.8.4)',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

beforeAll(async () => {
  stack = await startStack();
  owner = await stack.signUp();
  workspaceId = (await createWorkspace(owner, owner.accountId)).id;
  base = `${stack.url.replace(/\/graphql$/, '')}/api/accounts/${owner.accountId}/workspaces/${workspaceId}`;
  ownerKey = (await keyOf(owner)).key;
});

afterAll(async () => {
  await stack?.stop();
});

describe('authorization through REST is GraphQL’s', () => {
  it('a Viewer’s key reads but gets 403 on writes (and the refusal is audited)', async () => {
    const flow = await rest('POST', '/flows/', ownerKey, { name: `f-${uid(3)}` });
    expect(flow.status).toBe(201);
    const viewer = await join(stack, owner, { workspace: { id: workspaceId, role: 'VIEWER' } });
    const key = (await keyOf(viewer)).key;
    expect((await rest('GET', `/flows/${flow.body.id}`, key)).body).toMatchObject({
      id: flow.body.id,
      name: flow.body.name,
    });
    const refused = await rest('POST', '/flows/', key, { name: `f-${uid(3)}` });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ detail: 'Missing permission: manage_flows' });
    const write = await rest('POST', '/variables/', key, { name: `v_${uid(3)}`, value: 1 });
    expect(write.status).toBe(403);
    await eventually(async () => {
      const d = await ok(
        owner,
        `query($a: ID!, $actor: String!) { auditEvents(accountId: $a, first: 10, filter: { actorId: $actor, actionPrefix: "flow.denied" }) {
          edges { node { action requestId actor { userAgent } } }
        } }`,
        { a: owner.accountId, actor: viewer.userId },
      );
      expect(d.auditEvents.edges.map((e: any) => e.node)).toEqual([
        {
          action: 'flow.denied',
          requestId: refused.headers.get('x-request-id'),
          actor: { userAgent: 'prefect/3.9.1 (API 0.8.4)' },
        },
      ]);
    });
  });

  it('a key of another account gets 404 on this workspace’s URLs, a revoked key 401, no key 401', async () => {
    const flow = await rest('POST', '/flows/', ownerKey, { name: `f-${uid(3)}` });
    const stranger = await stack.signUp();
    const strangerKey = (await keyOf(stranger)).key;
    for (const [method, path, body] of [
      ['GET', `/flows/${flow.body.id}`, undefined],
      ['POST', '/flows/', { name: 'mine-now' }],
      ['POST', '/variables/', { name: 'v_x', value: 1 }],
    ] as const) {
      const res = await rest(method, path, strangerKey, body);
      expect(res.status, path).toBe(404);
      expect(res.body.detail).toMatch(/not found/i);
    }
    // Their own workspace, named under this account's URL, is not found either.
    const theirs = (await createWorkspace(stranger, stranger.accountId)).id;
    const crossed = base.replace(workspaceId, theirs);
    const res = await fetch(`${crossed}/flows/${flow.body.id}`, {
      headers: { authorization: `Bearer ${strangerKey}` },
    });
    expect(res.status).toBe(404);

    const revocable = await keyOf(owner);
    expect((await rest('GET', `/flows/${flow.body.id}`, revocable.key)).status).toBe(200);
    await ok(owner, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: revocable.id });
    const revoked = await rest('GET', `/flows/${flow.body.id}`, revocable.key);
    expect(revoked.status).toBe(401);
    expect(revoked.body.detail).toMatch(/revoked/);
    expect((await rest('GET', `/flows/${flow.body.id}`, undefined)).status).toBe(401);
  });

  it('set_state under one workspace’s URL does not reach a run of another workspace of the same key', async () => {
    // The owner's key can write both workspaces: the URL's workspace still bounds the write.
    const other = (await createWorkspace(owner, owner.accountId)).id;
    const otherBase = base.replace(workspaceId, other);
    const there = (method: string, path: string, body?: unknown) =>
      restAt(otherBase, method, path, ownerKey, body);
    const flow = await there('POST', '/flows/', { name: `f-${uid(3)}` });
    const run = await there('POST', '/flow_runs/', { flow_id: flow.body.id });
    expect(run.status).toBe(201);
    const task = await there('POST', '/task_runs/', {
      flow_run_id: run.body.id,
      task_key: 'k',
      dynamic_key: '0',
    });
    expect(task.status).toBe(201);
    const running = { state: { type: 'RUNNING', name: 'Running' } };
    const crossedRun = await rest('POST', `/flow_runs/${run.body.id}/set_state`, ownerKey, running);
    expect(crossedRun).toMatchObject({ status: 404, body: { detail: 'FlowRun not found' } });
    const crossedTask = await rest(
      'POST',
      `/task_runs/${task.body.id}/set_state`,
      ownerKey,
      running,
    );
    expect(crossedTask).toMatchObject({ status: 404, body: { detail: 'TaskRun not found' } });
    // Nothing changed; under its own URL the same call is accepted.
    expect((await there('GET', `/flow_runs/${run.body.id}`)).body.state_type).not.toBe('RUNNING');
    expect((await there('GET', `/task_runs/${task.body.id}`)).body.state_type).not.toBe('RUNNING');
    const own = await there('POST', `/flow_runs/${run.body.id}/set_state`, {
      state: { type: 'PENDING', name: 'Pending' },
    });
    expect(own).toMatchObject({ status: 201, body: { status: 'ACCEPT' } });
  });

  it('a REST write is audited with the same actor data as the same write over GraphQL', async () => {
    const { key, id: apiKeyId } = await keyOf(owner);
    const name = `v_${uid(3)}`;
    const viaRest = await rest('POST', '/variables/', key, { name, value: 'rest', tags: [] });
    expect(viaRest.status).toBe(201);
    const viaGraphql = await fetch(stack.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${key}`,
        'user-agent': 'prefect/3.9.1 (API 0.8.4)',
      },
      body: JSON.stringify({
        query: `mutation($input: SetVariableInput!) { setVariable(input: $input) { id } }`,
        variables: { input: { workspaceId, name, value: 'graphql' } },
      }),
    });
    expect(viaGraphql.status).toBe(200);
    await eventually(async () => {
      const d = await ok(
        owner,
        `query($a: ID!) { auditEvents(accountId: $a, first: 5, filter: { actionPrefix: "variable." }) {
          edges { node { action requestId workspaceId resourceId actor { type id apiKeyId ip userAgent } } }
        } }`,
        { a: owner.accountId },
      );
      const entries = d.auditEvents.edges.map((e: any) => e.node);
      const byRest = entries.find((e: any) => e.requestId === viaRest.headers.get('x-request-id'));
      const byGraphql = entries.find(
        (e: any) => e.requestId === viaGraphql.headers.get('x-request-id'),
      );
      expect(byRest).toBeDefined();
      expect(byGraphql).toBeDefined();
      expect(byRest.actor).toEqual(byGraphql.actor);
      expect(byRest.actor).toMatchObject({
        type: 'USER',
        id: owner.userId,
        apiKeyId,
        ip: '127.0.0.1',
      });
      expect(byRest.resourceId).toBe(byGraphql.resourceId);
    });
  });
});

describe('Prefect-shaped errors', () => {
  it('answers 422 in FastAPI’s shape for a bad body, a bad field and malformed JSON', async () => {
    const missing = await rest('POST', '/flow_runs/', ownerKey, { name: 'x' });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toEqual([
      expect.objectContaining({ loc: ['body', 'flow_id'], type: 'invalid_type' }),
    ]);
    const badState = await rest(
      'POST',
      `/flow_runs/00000000-0000-4000-8000-000000000000/set_state`,
      ownerKey,
      { state: { type: 'EXPLODED' } },
    );
    expect(badState.status).toBe(422);
    expect(badState.body.detail[0].loc).toEqual(['body', 'state', 'type']);
    // A field the subgraph refuses (BAD_USER_INPUT) names Prefect's field.
    const longName = await rest('POST', '/flows/', ownerKey, { name: 'x'.repeat(500) });
    expect(longName.status).toBe(422);
    expect(longName.body.detail).toEqual([
      { loc: ['body', 'name'], msg: expect.any(String), type: 'value_error' },
    ]);
    const json = await rest('POST', '/flows/', ownerKey, undefined, '{"name": ');
    expect(json.status).toBe(422);
    expect(json.body.detail[0].type).toBe('json_invalid');
  });

  it('answers 404 {"detail": …} for an unknown object and an unknown path, 405 for a wrong method', async () => {
    const run = await rest('GET', `/flow_runs/00000000-0000-4000-8000-000000000000`, ownerKey);
    expect(run.status).toBe(404);
    expect(run.body).toEqual({ detail: 'FlowRun not found' });
    const none = await rest('GET', `/no_such_thing`, ownerKey);
    expect(none).toMatchObject({ status: 404, body: { detail: 'Not Found' } });
    expect((await rest('DELETE', `/flows/filter`, ownerKey)).status).toBe(405);
  });

  it('POST /variables/ answers 409 on a taken name and leaves the variable as it was', async () => {
    const name = `v_${uid(3)}`;
    const first = await rest('POST', '/variables/', ownerKey, { name, value: 'first' });
    expect(first.status).toBe(201);
    const again = await rest('POST', '/variables/', ownerKey, { name, value: 'second' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ detail: expect.any(String) });
    const read = await rest('GET', `/variables/name/${name}`, ownerKey);
    expect(read).toMatchObject({ status: 200, body: { name, value: 'first' } });
  });

  it('a log batch with one bad entry stores none of it', async () => {
    const flow = await rest('POST', '/flows/', ownerKey, { name: `f-${uid(3)}` });
    const run = await rest('POST', '/flow_runs/', ownerKey, { flow_id: flow.body.id });
    expect(run.status).toBe(201);
    const now = new Date().toISOString();
    const good = { level: 20, message: 'fine', timestamp: now, flow_run_id: run.body.id };
    const bad = await rest('POST', '/logs/', ownerKey, [good, { ...good, timestamp: 'yesterday' }]);
    expect(bad.status).toBe(422);
    const count = async () =>
      (
        await ok(
          owner,
          `query($w: ID!, $r: ID!) { workspace(id: $w) { logs(first: 10, filter: { flowRunId: $r }) { totalCount } } }`,
          { w: workspaceId, r: run.body.id },
        )
      ).workspace.logs.totalCount;
    expect(await count()).toBe(0);
    expect((await rest('POST', '/logs/', ownerKey, [good, good])).status).toBe(201);
    expect(await count()).toBe(2);
  });

  it('POST /logs/ stores a worker’s own lines as Prefect’s WorkerAPILogHandler sends them', async () => {
    const pool = `pool-${uid(3)}`;
    expect(
      (await rest('POST', '/work_pools/', ownerKey, { name: pool, type: 'process' })).status,
    ).toBe(201);
    // Prefect's worker in Cloud mode learns its id from the heartbeat (`return_id`) …
    const hb = await fetch(`${base}/work_pools/${pool}/workers/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ownerKey}` },
      body: JSON.stringify({
        name: 'ProcessWorker 1f2e',
        heartbeat_interval_seconds: 30,
        return_id: true,
      }),
    });
    expect(hb.status).toBe(200);
    const workerId = (await hb.text()).replace(/"/g, '');
    // … and sends its own lines with it and no run (LogCreate.model_dump(mode="json")).
    const line = (message: string, extra: Record<string, unknown> = {}) => ({
      name: 'prefect.workers.process.processworker 1f2e',
      level: 20,
      message,
      timestamp: '2026-12-03T17:00:00.123456Z',
      flow_run_id: null,
      task_run_id: null,
      worker_id: workerId,
      ...extra,
    });
    const sent = await rest('POST', '/logs/', ownerKey, [
      line("Worker 'ProcessWorker 1f2e' started!"),
      line('Worker pool ready', { timestamp: '2026-12-03T17:00:01Z' }),
    ]);
    expect(sent.status).toBe(201);
    const read = await ok(
      owner,
      `query($w: ID!, $worker: ID!) { workspace(id: $w) { logs(first: 10, filter: { workerId: $worker }) {
        edges { node { message flowRunId workerId } } } } }`,
      { w: workspaceId, worker: workerId },
    );
    expect(read.workspace.logs.edges.map((e: any) => e.node)).toEqual([
      { message: "Worker 'ProcessWorker 1f2e' started!", flowRunId: null, workerId },
      { message: 'Worker pool ready', flowRunId: null, workerId },
    ]);
    // A worker id that is not one of this workspace's: Prefect's 422, nothing stored.
    const stranger = await rest('POST', '/logs/', ownerKey, [
      line('ok'),
      line('not ours', { worker_id: '00000000-0000-4000-8000-000000000000' }),
    ]);
    expect(stranger.status).toBe(422);
    expect(stranger.body.detail[0].loc).toEqual(['body', 1, 'worker_id']);
  });

  it('DELETE /automations/owned-by/{resource_id} deletes what that resource owns, here only', async () => {
    const owner2 = `prefect.deployment.${crypto.randomUUID()}`;
    const create = async (ws: string, ownerResource?: string) =>
      (
        await ok(
          owner,
          `mutation($input: CreateAutomationInput!) { createAutomation(input: $input) { id ownerResource } }`,
          {
            input: {
              workspaceId: ws,
              name: `a-${uid(3)}`,
              ownerResource,
              trigger: { event: { expect: ['x.never'] } },
              actions: [{ type: 'DO_NOTHING' }],
            },
          },
        )
      ).createAutomation.id as string;
    const owned = [await create(workspaceId, owner2), await create(workspaceId, owner2)];
    const unowned = await create(workspaceId);
    const otherOwner = await create(workspaceId, `prefect.deployment.${crypto.randomUUID()}`);
    const elsewhere = await create((await createWorkspace(owner, owner.accountId)).id, owner2);

    const viewerKey = (
      await keyOf(await join(stack, owner, { workspace: { id: workspaceId, role: 'VIEWER' } }))
    ).key;
    const refused = await rest('DELETE', `/automations/owned-by/${owner2}`, viewerKey);
    expect(refused.status).toBe(403);

    const done = await rest('DELETE', `/automations/owned-by/${owner2}`, ownerKey);
    expect(done.status).toBe(202);
    const left = async (id: string) =>
      (await owner.gql(`query($id: ID!) { automation(id: $id) { id } }`, { id })).data?.automation
        ?.id ?? null;
    for (const id of owned) expect(await left(id)).toBeNull();
    for (const id of [unowned, otherOwner, elsewhere]) expect(await left(id)).toBe(id);
    // Owning nothing (any more) is not an error, as in Prefect.
    expect((await rest('DELETE', `/automations/owned-by/${owner2}`, ownerKey)).status).toBe(202);
  });
});
