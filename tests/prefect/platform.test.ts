import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/seed.js';
import { requirePython } from '../harness/services.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { ok } from '../operations/fixtures.js';
import { prefectTarget, startFlows, type PrefectTarget } from './prefect.js';

// Scenario 5 of the Prefect compatibility: blocks, variables, global concurrency, artifacts and
// custom events from a flow run by the real Prefect client, each visible through GraphQL.
const bin = requirePython();

let stack: Stack;
let owner: Actor;
let target: PrefectTarget;

beforeAll(async () => {
  if (!bin) return;
  stack = await startStack();
  owner = await stack.signUp();
  target = await prefectTarget(stack, owner);
});

afterAll(async () => {
  await stack?.stop();
});

const LIMIT = `query($id: ID!) { concurrencyLimit(id: $id) { activeSlots } }`;

describe.skipIf(!bin)(
  'the Prefect platform objects from a flow (real client)',
  { timeout: 240_000 },
  () => {
    it('Secret save/load, variables, concurrency() with a global limit, a markdown artifact and emit_event', async () => {
      const names = {
        secret: `sec-${uid(3)}`,
        variable: `var_${uid(3)}`,
        limit: `lim-${uid(3)}`,
        artifact: `report-${uid(3)}`,
      };
      const limit = await ok(
        owner,
        `mutation($input: CreateConcurrencyLimitInput!) { createConcurrencyLimit(input: $input) { id } }`,
        { input: { workspaceId: target.workspaceId, kind: 'GLOBAL', name: names.limit, limit: 1 } },
      );
      const limitId = limit.createConcurrencyLimit.id as string;

      const child = startFlows(
        bin!,
        ['platform', names.secret, names.variable, names.limit, names.artifact, '4'],
        target.env,
      );
      let out = '';
      let err = '';
      child.stdout!.on('data', (c) => (out += c));
      child.stderr!.on('data', (c) => (err += c));
      const exited = new Promise<number | null>((r) => child.on('close', r));

      // While the flow is inside `concurrency()`, its lease holds the limit's only slot.
      await eventually(async () => {
        expect(out).toContain('HOLDING');
        expect((await ok(owner, LIMIT, { id: limitId })).concurrencyLimit.activeSlots).toBe(1);
      }, 120_000);
      expect(await exited).toBe(0);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      expect(line, err + out).toBeDefined();
      expect(JSON.parse(line!.slice(7))).toMatchObject({
        type: 'COMPLETED',
        result: { secret: 's3cr3t-value', variable: 'second', inside: 'ran inside the limit' },
      });
      // Released on the way out.
      expect((await ok(owner, LIMIT, { id: limitId })).concurrencyLimit.activeSlots).toBe(0);

      const d = await ok(
        owner,
        `query($w: ID!, $v: String!, $key: String!) { workspace(id: $w) {
        blockDocuments(first: 10, filter: { blockTypeSlug: "secret" }) { edges { node {
          name data blockType { slug codeExample } blockSchema { secretFields }
        } } }
        variableByName(name: $v) { value }
        artifacts(first: 5, filter: { key: $key }) { edges { node { type data description flowRunId } } }
        flowRuns(first: 5) { edges { node { id flow { name } stateType } } }
      } }`,
        { w: target.workspaceId, v: names.variable, key: names.artifact },
      );
      const secret = d.workspace.blockDocuments.edges.map((e: any) => e.node);
      expect(secret).toEqual([
        {
          name: names.secret,
          data: { value: 's3cr3t-value' },
          blockType: { slug: 'secret', codeExample: expect.stringContaining('Secret.load') },
          blockSchema: { secretFields: ['value'] },
        },
      ]);
      expect(d.workspace.variableByName.value).toBe('second');
      const run = d.workspace.flowRuns.edges.find(
        (e: any) => e.node.flow.name === 'platform-flow',
      ).node;
      expect(run.stateType).toBe('COMPLETED');
      expect(d.workspace.artifacts.edges.map((e: any) => e.node)).toEqual([
        {
          type: 'MARKDOWN',
          data: '# Report\n\nAll good.',
          description: 'the report',
          flowRunId: run.id,
        },
      ]);

      const events = await ok(
        owner,
        `query($w: ID!) { workspace(id: $w) { events(first: 5, filter: { names: ["custom.report.published"] }) {
        edges { node { resource { id } related { id role } payload } }
      } } }`,
        { w: target.workspaceId },
      );
      expect(events.workspace.events.edges.map((e: any) => e.node)).toEqual([
        {
          resource: { id: `custom.report.${names.artifact}` },
          related: expect.arrayContaining([{ id: `prefect.flow-run.${run.id}`, role: 'flow-run' }]),
          payload: { rows: 3 },
        },
      ]);
    });
  },
);
