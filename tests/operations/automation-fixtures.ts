import { expect } from 'vitest';
import type { Subgraph } from '../../lib/subgraph.js';
import type { OperationsContext } from '../../subgraphs/operations/src/context.js';
import { emitEvent, type EmitSpec } from '../../subgraphs/operations/src/event-store/emit.js';
import { Event } from '../../subgraphs/operations/src/event-store/event.entity.js';
import type { Actor, Stack } from '../harness/stack.js';

type Gql = Pick<Actor, 'gql'>;

const EVENT_TRIGGER = `match { ids labels { name values } } matchRelated { role ids labels { name values } }
  after expect forEach posture threshold withinSeconds resolveOn`;
export const AUTOMATION_FIELDS = `id name description enabled createdAt updatedAt
  trigger {
    __typename
    ... on EventTrigger { ${EVENT_TRIGGER} }
    ... on CompoundTrigger { require atLeast withinSeconds triggers { __typename ... on EventTrigger { ${EVENT_TRIGGER} } ... on SequenceTrigger { withinSeconds } } }
    ... on SequenceTrigger { withinSeconds triggers { __typename ... on EventTrigger { ${EVENT_TRIGGER} } } }
  }
  actions { id type source targetId parameters message state { type name message } webhook { url method headers contentType body subject hasSecret } }
  actionsOnTrigger { id type source targetId }
  actionsOnResolve { id type source targetId }
  state { triggered buckets { triggerPath key count windowStart windowEnd firedAt resolvedAt triggered } }`;

export const CREATE_AUTOMATION = `mutation($input: CreateAutomationInput!) { createAutomation(input: $input) { ${AUTOMATION_FIELDS} } }`;
export const UPDATE_AUTOMATION = `mutation($input: UpdateAutomationInput!) { updateAutomation(input: $input) { ${AUTOMATION_FIELDS} } }`;
export const AUTOMATION = `query($id: ID!) { automation(id: $id) { ${AUTOMATION_FIELDS} } }`;

export async function createAutomation(by: Gql, input: Record<string, unknown>) {
  const res = await by.gql(CREATE_AUTOMATION, { input });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.createAutomation;
}

export async function automationState(by: Gql, id: string) {
  const res = await by.gql(AUTOMATION, { id });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.automation.state as {
    triggered: boolean;
    buckets: {
      triggerPath: string;
      key: string[];
      count: number;
      windowStart: string | null;
      windowEnd: string | null;
      firedAt: string | null;
      resolvedAt: string | null;
      triggered: boolean;
    }[];
  };
}

export const operations = (stack: Stack) =>
  stack.running.subgraphs.operations as Subgraph<OperationsContext>;

/**
 * Stores an event as a system event would be (emitEvent in a transaction of the operations
 * subgraph) and publishes it: on the in-process bus the automations consumer has handled it
 * when this returns.
 */
export async function emit(stack: Stack, spec: EmitSpec): Promise<string> {
  const sub = operations(stack);
  const id = await sub.orm.em.fork().transactional(async (em) => emitEvent(em, spec).id);
  await sub.relay.flush();
  return id;
}

/** Publishes what consumers wrote (their own relay kicks are not awaited). */
export async function settle(stack: Stack): Promise<void> {
  const sub = operations(stack);
  for (let i = 0; i < 5; i++) await sub.relay.flush();
}

/** Stored events of a workspace with one of these names, oldest first. */
export async function storedEvents(stack: Stack, workspaceId: string, names: string[]) {
  const rows = await operations(stack)
    .orm.em.fork()
    .find(Event, { workspaceId, name: { $in: names } }, { orderBy: { seq: 'asc' } });
  return rows.map((e) => ({
    id: e.id,
    event: e.name,
    resource: e.resource,
    related: e.related,
    payload: e.payload,
    follows: e.follows ?? null,
  }));
}

export const service = (stack: Stack, name: string) => {
  const s = operations(stack).services.find((x) => x.name === name);
  if (!s) throw new Error(`no service ${name}`);
  return s;
};
