import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/seed.js';
import { requirePython } from '../harness/services.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { ok } from '../operations/fixtures.js';
import { prefectTarget, startFlows, type PrefectTarget } from './prefect.js';

// Prefect's events/out socket: the real client's events subscriber (the one Prefect's workers
// and runners use to hear of cancellations) gets the workspace's events its filter names.
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

const EMIT = `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`;

function subscriber(prefix: string, count: number, env: Record<string, string>) {
  const child = startFlows(bin!, ['subscribe', prefix, String(count)], env);
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  return {
    output: () => out,
    exited,
    events: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('EVENT '))
        .map((l) => JSON.parse(l.slice(6))),
  };
}

describe.skipIf(!bin)('the events/out socket (real client)', { timeout: 120_000 }, () => {
  it('delivers the events its filter names, live, and nothing else', async () => {
    const tag = uid(3);
    const sub = subscriber(`custom.${tag}.`, 2, target.env);
    await eventually(async () => expect(sub.output()).toContain('READY'), 60_000);
    const emit = (event: string, rows: number) =>
      ok(owner, EMIT, {
        input: {
          workspaceId: target.workspaceId,
          events: [{ event, resource: { id: `custom.thing.${tag}` }, payload: { rows } }],
        },
      });
    await emit(`other.${tag}.started`, 0);
    await emit(`custom.${tag}.started`, 1);
    await emit(`custom.${tag}.finished`, 2);
    expect(await sub.exited, sub.output()).toBe(0);
    expect(sub.events()).toEqual([
      { event: `custom.${tag}.started`, resource: `custom.thing.${tag}`, payload: { rows: 1 } },
      { event: `custom.${tag}.finished`, resource: `custom.thing.${tag}`, payload: { rows: 2 } },
    ]);
  });

  it('names Flowplane’s flow-run state events as Prefect does (prefect.flow-run.<State>)', async () => {
    const sub = subscriber('prefect.flow-run.Cancel', 1, target.env);
    await eventually(async () => expect(sub.output()).toContain('READY'), 60_000);
    const flow = await ok(
      owner,
      `mutation($input: CreateFlowInput!) { ensureFlow(input: $input) { id } }`,
      { input: { workspaceId: target.workspaceId, name: `f-${uid(3)}` } },
    );
    const run = await ok(
      owner,
      `mutation($input: CreateFlowRunInput!) { createFlowRun(input: $input) { id } }`,
      { input: { flowId: flow.ensureFlow.id } },
    );
    const id = run.createFlowRun.id as string;
    await ok(
      owner,
      `mutation($input: SetFlowRunStateInput!) { setFlowRunState(input: $input) { status } }`,
      { input: { flowRunId: id, state: { type: 'CANCELLED' } } },
    );
    expect(await sub.exited, sub.output()).toBe(0);
    expect(sub.events()).toEqual([
      expect.objectContaining({
        event: 'prefect.flow-run.Cancelled',
        resource: `prefect.flow-run.${id}`,
      }),
    ]);
  });

  it('refuses a revoked key at the auth message', async () => {
    const made = await ok(
      owner,
      `mutation { createApiKey(input: { name: "gone" }) { key apiKey { id } } }`,
      {},
    );
    await ok(owner, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, {
      id: made.createApiKey.apiKey.id,
    });
    const sub = subscriber('custom.', 1, { ...target.env, PREFECT_API_KEY: made.createApiKey.key });
    expect(await sub.exited).not.toBe(0);
    expect(sub.output()).toContain('Unable to authenticate to the event stream');
    expect(sub.output()).not.toContain('READY');
  });
});
