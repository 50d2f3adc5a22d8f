/**
 * Issue 16, goal 5: what the benchmarks' 100-run page (tests/harness/page-query RUNS_100) reads, statement
 * by statement, on each subgraph: the workspace with its account in one statement, the runs
 * with their count in one and their flows in one, the creator in one. Each run's `flow` answers
 * from the flows read for the page (no promise per run); references are read as plain rows
 * (lazy columns, such as a user's password hash, left out); a workspace of a deleted account is
 * still not found.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNS_100 } from '../harness/page-query.js';
import { createWorkspace } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { createFlow, createRun, ok } from './fixtures.js';

let stack: Stack;
let owner: Actor;
let workspaceId: string;
const flowNames: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  owner = await stack.signUp();
  workspaceId = (await createWorkspace(owner, owner.accountId)).id;
  for (let i = 0; i < 3; i++) {
    const flow = await createFlow(owner, workspaceId);
    flowNames.push(flow.name);
    for (let j = 0; j < 4; j++) await createRun(owner, { flowId: flow.id, tags: [`t${j}`] });
  }
});
afterAll(async () => {
  await stack?.stop();
});

/** The statements each subgraph ran for one request (after a warm-up of the same request). */
async function statements(query: string, variables: Record<string, unknown>) {
  await ok(owner, query, variables);
  const names = ['users', 'workspaces', 'access', 'operations'] as const;
  for (const n of names) stack.counters[n].reset(true);
  const data = await ok(owner, query, variables);
  const ran = Object.fromEntries(names.map((n) => [n, [...stack.counters[n].statements]]));
  return { data, ran: ran as Record<(typeof names)[number], string[]> };
}

describe("the 100-run page's reads (goal 5)", () => {
  it('reads the workspace, the runs, their flows and their creator in one statement each', async () => {
    const saved = () => stack.running.gateway!.representationsSaved;
    const before = saved();
    const { data, ran } = await statements(RUNS_100, { id: workspaceId });
    // Twice the page (a warm-up, then the one counted): 12 runs of one creator, resolved once
    // by the users subgraph each time.
    expect(saved() - before).toBe(2 * 11);
    const page = data.workspace.flowRuns;
    expect(page.totalCount).toBe(12);
    expect(page.edges).toHaveLength(12);
    for (const { node } of page.edges) {
      expect(flowNames).toContain(node.flow.name);
      expect(node.createdBy).toEqual({ handle: owner.handle });
    }
    expect(new Set(page.edges.map((e: any) => e.node.flow.name))).toEqual(new Set(flowNames));
    const show = (n: keyof typeof ran) => `${n}:\n${ran[n].join('\n')}`;
    expect(ran.workspaces, show('workspaces')).toHaveLength(1);
    expect(ran.workspaces[0]).toMatch(/exists \(select 1 from account/);
    expect(ran.operations, show('operations')).toHaveLength(2);
    // The page itself in plain SQL (lib/plain-sql plainPage), its count on each row.
    expect(ran.operations[0]).toMatch(
      /count\(\*\) over \(\) as fp_total from "flow_run" as t where/,
    );
    expect(
      ran.operations.filter((s) => /from "flow" as t/.test(s)),
      show('operations'),
    ).toHaveLength(1);
    expect(ran.users, show('users')).toHaveLength(1);
    expect(ran.users[0]).not.toMatch(/password/);
  });

  it('reads no flow when the page does not ask for them', async () => {
    const { ran } = await statements(
      `query($id: ID!) { workspace(id: $id) { flowRuns(first: 100) { edges { node { id } } } } }`,
      { id: workspaceId },
    );
    expect(ran.operations.filter((s) => /"flow"/.test(s))).toEqual([]);
  });

  // Whether the page reads its flows ahead through fragments is selects' (tests/unit/
  // selection-and-row-loader): read ahead or per run, they are one statement either way.
  it("answers each run's flow through fragments and aliases, reading the flows once", async () => {
    const { data, ran } = await statements(
      `query($id: ID!) { workspace(id: $id) { runs: flowRuns(first: 100) { ...Page } } }
       fragment Page on FlowRunConnection { edges { ... on FlowRunEdge { node { f: flow { name } } } } }`,
      { id: workspaceId },
    );
    expect(data.workspace.runs.edges.map((e: any) => e.node.f.name).sort()).toEqual(
      flowNames.flatMap((n) => [n, n, n, n]).sort(),
    );
    expect(ran.operations).toHaveLength(2);
  });

  it('a workspace of a deleted account is not found', async () => {
    const other = await createWorkspace(owner, owner.accountId);
    const q = `query($id: ID!) { workspace(id: $id) { id } }`;
    expect((await ok(owner, q, { id: other.id })).workspace.id).toBe(other.id);
    const em = stack.running.subgraphs.workspaces!.orm.em.fork();
    await em
      .getConnection()
      .execute(`update account set deleted_at = ? where id = ?`, [new Date(), owner.accountId]);
    try {
      const res = await owner.gql(q, { id: other.id });
      expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    } finally {
      await em
        .getConnection()
        .execute(`update account set deleted_at = null where id = ?`, [owner.accountId]);
    }
  });
});
