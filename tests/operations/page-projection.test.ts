/**
 * Issue 16, goal 5: a page of runs reads only the columns its operation asks for (lib/projection,
 * FLOW_RUN_READS), and answers exactly what the whole row answers. Every field of FlowRun, as
 * the schema lists it (a field added later is checked too), is asked alone on a page and
 * compared with the same field of each run read whole (`flowRun(id:)`), over runs with every
 * column set: from a deployment in a work pool, claimed and running with a message and details,
 * with parameters, labels, an idempotency key and an infrastructure id, a subflow of a task run,
 * and one created by a service account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, eventually } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import {
  CREATE_TASK,
  createDeployment,
  createFlow,
  createPool,
  createRun,
  ok,
  setState,
} from './fixtures.js';

let stack: Stack;
let owner: Actor;
let workspaceId: string;
const runIds: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  owner = await stack.signUp();
  workspaceId = (await createWorkspace(owner, owner.accountId)).id;
  const flow = await createFlow(owner, workspaceId);
  const pool = await createPool(owner, workspaceId);
  const deployment = await createDeployment(owner, flow.id, { workPoolId: pool.id });
  // A run with every column set: parameters, labels, key, a worker, infrastructure, a message.
  const full = await createRun(owner, {
    deploymentId: deployment.id,
    parameters: { x: 1, nested: { y: [1, 2] } },
    labels: { team: 'data', tier: 2 },
    idempotencyKey: `key-${uid(3)}`,
    tags: ['a', 'b'],
  });
  const claimed = await ok(
    owner,
    `mutation($input: ClaimFlowRunsInput!) { claimFlowRuns(input: $input) { id } }`,
    { input: { workPoolId: pool.id, workerName: 'worker-1' } },
  );
  expect(claimed.claimFlowRuns.map((r: any) => r.id)).toContain(full.id);
  await ok(owner, `mutation($input: UpdateFlowRunInput!) { updateFlowRun(input: $input) { id } }`, {
    input: { id: full.id, infrastructureId: 'pid-42' },
  });
  await setState(owner, full.id, { type: 'RUNNING', message: 'started', details: { note: 1 } });
  const task = (
    await ok(owner, CREATE_TASK, {
      input: { flowRunId: full.id, name: 'task', taskKey: 'k', dynamicKey: '0' },
    })
  ).createTaskRun;
  // A subflow of that task run, ad hoc.
  const sub = await createRun(owner, { flowId: flow.id, parentTaskRunId: task.id });
  // A run of a service account.
  const sa = await ok(
    owner,
    `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { key serviceAccount { id } } }`,
    { input: { accountId: owner.accountId, name: `ci-${uid(3)}` } },
  );
  const bot = stack.as(sa.createServiceAccount.key);
  await eventually(async () => {
    const me = await bot.gql(`{ me { accounts { id } } }`);
    expect(me.data.me.accounts.map((a: any) => a.id)).toContain(owner.accountId);
  });
  await ok(
    owner,
    `mutation($input: SetWorkspaceRoleInput!) { setWorkspaceRole(input: $input) { serviceAccount { id } } }`,
    {
      input: {
        workspaceId,
        serviceAccountId: sa.createServiceAccount.serviceAccount.id,
        role: 'DEVELOPER',
      },
    },
  );
  const byBot = await createRun(bot, { flowId: flow.id });
  runIds.push(full.id, sub.id, byBot.id);
});
afterAll(async () => {
  await stack?.stop();
});

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}
interface FieldInfo {
  name: string;
  args: { type: TypeRef }[];
  type: TypeRef;
}

const TYPE = `query($name: String!) { __type(name: $name) {
  fields { name args { type { kind } } type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }
} }`;

async function fieldsOf(name: string): Promise<FieldInfo[]> {
  return (await ok(owner, TYPE, { name })).__type.fields;
}

function named(t: TypeRef): TypeRef {
  return t.ofType ? named(t.ofType) : t;
}

/**
 * A selection of `field`: leaves as they are; objects with their leaf fields that take no
 * required argument (and a connection's nodes' ids), so that a wrong or missing column shows.
 */
async function selectionOf(field: FieldInfo): Promise<string> {
  const type = named(field.type);
  if (type.kind === 'SCALAR' || type.kind === 'ENUM') return field.name;
  const inner = await fieldsOf(type.name!);
  const leaves = inner
    .filter((f) => !f.args.some((a) => a.type.kind === 'NON_NULL'))
    .filter((f) => ['SCALAR', 'ENUM'].includes(named(f.type).kind))
    .map((f) => f.name);
  if (inner.some((f) => f.name === 'edges'))
    return `${field.name} { totalCount edges { node { id } } }`;
  return `${field.name} { __typename ${leaves.join(' ')} }`;
}

describe('a page of runs reads the columns it is asked for (goal 5)', () => {
  it('answers every field of FlowRun as the whole row does', async () => {
    const fields = await fieldsOf('FlowRun');
    expect(fields.length).toBeGreaterThan(30);
    const checked: string[] = [];
    for (const field of fields) {
      if (field.args.some((a) => a.type.kind === 'NON_NULL')) continue;
      const selection = await selectionOf(field);
      const page = await ok(
        owner,
        `query($id: ID!) { workspace(id: $id) { flowRuns(first: 50) { edges { node { id ${selection} } } } } }`,
        { id: workspaceId },
      );
      const nodes = new Map<string, unknown>(
        page.workspace.flowRuns.edges.map((e: any) => [e.node.id, e.node]),
      );
      for (const id of runIds) {
        const whole = await ok(owner, `query($id: ID!) { flowRun(id: $id) { id ${selection} } }`, {
          id,
        });
        expect(nodes.get(id), `${field.name} of ${id}`).toEqual(whole.flowRun);
      }
      checked.push(field.name);
    }
    // The fixture sets what projection could lose: check that it did.
    expect(checked).toEqual(expect.arrayContaining(['parameters', 'labels', 'state', 'workPool']));
  });

  it('reads only the columns asked for, and the whole row for a field left undeclared', async () => {
    const statement = async (node: string, fragments = '') => {
      const query = `query($id: ID!) { workspace(id: $id) { flowRuns(first: 10) { edges { node { ${node} } } } } } ${fragments}`;
      await ok(owner, query, { id: workspaceId });
      stack.counters.operations.reset(true);
      await ok(owner, query, { id: workspaceId });
      const page = stack.counters.operations.statements.find((s) => /from "flow_run"/.test(s));
      expect(page).toBeDefined();
      return page!.slice(0, page!.indexOf(' from "flow_run"'));
    };
    const names = await statement('id name stateType');
    expect(names).toMatch(/t\."name"/);
    expect(names).not.toMatch(/parameters|labels|state_details|start_time/);
    // Aliases and fragments name the fields they read.
    const aliased = await statement(
      'id alias: parameters ... on FlowRun { labels } ...current __typename',
      'fragment current on FlowRun { state { name } }',
    );
    expect(aliased).toMatch(/t\."parameters"/);
    expect(aliased).toMatch(/t\."labels"/);
    expect(aliased).toMatch(/t\."state_details"/);
    expect(aliased).not.toMatch(/start_time/);
    // `states` hands the whole run to its service: every column is read.
    const whole = await statement('id states { name }');
    expect(whole).toMatch(/start_time/);
    expect(whole).toMatch(/parameters/);
  });
});
