import { VALIDATION_FAILED } from '../../../lib/errors.js';
import {
  GraphQLError,
  Kind,
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  parse,
  validate,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';

import { checkLimits, fragmentsOf, measureOperation } from '../limits/operation-limits.js';
import type { OperationLimits } from '../limits/operation-limits.js';
import { BACKFILL_PERMISSION, SUBSCRIPTION_KINDS, type SubscriptionKind } from './kinds.js';
import { EVENT_ID_VARIABLE, rewriteAsQuery, type DeliveryQuery } from './rewrite.js';

/** What a graphql-ws `subscribe` message carries. */
export interface OperationPayload {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/** A subscription that passed every check of its document (not yet its permission). */
export interface PreparedSubscription {
  kind: SubscriptionKind;
  workspaceId: string;
  /** The coerced `filter` argument (null when absent or for kinds without one). */
  filter: unknown;
  /** Backfill from after this event id. */
  since: string | null;
  /** Backfill the events that occurred at or after this time (ISO). */
  replayFrom: string | null;
  /** The workspace permissions it needs (the kind's, and the event store's for a backfill). */
  permissions: readonly string[];
  /** The operation's cost (charged to the rate limit budgets). */
  cost: number;
  delivery: DeliveryQuery;
  /** The operation name, for logs. */
  operationName: string | null;
}

/**
 * A valid WebSocket operation: a subscription the engine serves, or a query or mutation
 * (`subscription` null) executed through the gateway as over HTTP.
 */
export interface PreparedOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  subscription: PreparedSubscription | null;
}

/** What a WebSocket operation is checked against. */
export interface PrepareOptions {
  schema: GraphQLSchema;
  limits: OperationLimits;
  maxTokens: number;
  /** Hide "Did you mean …?" suggestions (production). */
  hideSuggestions: boolean;
}

const badInput = (message: string, from?: GraphQLError, code = 'BAD_USER_INPUT') =>
  new GraphQLError(message, {
    nodes: from?.nodes,
    source: from?.source,
    positions: from?.positions,
    extensions: { ...(from?.extensions ?? {}), code },
  });

/**
 * Parses and validates a WebSocket operation against the gateway's API schema. A subscription
 * must select exactly one of the served fields; its arguments are coerced, the operation limits
 * (depth, aliases, cost, …) apply as over HTTP, and its selection set is rewritten into the query
 * that will resolve each event. Throws a list of BAD_USER_INPUT errors for a bad document.
 */
export function prepareOperation(
  payload: OperationPayload,
  opts: PrepareOptions,
): PreparedOperation {
  if (typeof payload.query !== 'string' || !payload.query.trim())
    throw [badInput('The operation has no query')];
  let document: DocumentNode;
  try {
    document = parse(payload.query, { maxTokens: opts.maxTokens });
  } catch (err) {
    throw [badInput((err as Error).message, err instanceof GraphQLError ? err : undefined)];
  }
  const errors = validate(opts.schema, document);
  if (errors.length) {
    throw errors.map((e) =>
      badInput(
        opts.hideSuggestions ? e.message.replace(/ ?Did you mean(.+?)\?$/, '') : e.message,
        e,
        VALIDATION_FAILED,
      ),
    );
  }
  const operation = getOperationAST(document, payload.operationName ?? undefined);
  if (!operation) throw [badInput('Unable to identify the operation to run')];
  if (operation.operation !== 'subscription') return { document, operation, subscription: null };
  const subscription = prepareSubscription(document, operation, payload.variables ?? {}, opts);
  return { document, operation, subscription };
}

function prepareSubscription(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: Record<string, unknown>,
  opts: PrepareOptions,
): PreparedSubscription {
  const [root, ...more] = operation.selectionSet.selections;
  if (!root || more.length || root.kind !== Kind.FIELD) {
    throw [badInput('A subscription selects exactly one field, written out (not in a fragment)')];
  }
  const kind = SUBSCRIPTION_KINDS[root.name.value];
  const fieldDef = opts.schema.getSubscriptionType()?.getFields()[root.name.value];
  if (!kind || !fieldDef) {
    throw [badInput(`Subscription field ${root.name.value} is not served by this gateway`)];
  }
  if (operation.variableDefinitions?.some((d) => d.variable.name.value === EVENT_ID_VARIABLE)) {
    throw [badInput(`The variable name $${EVENT_ID_VARIABLE} is reserved`)];
  }
  const coerced = getVariableValues(
    opts.schema,
    operation.variableDefinitions ?? [],
    rawVariables,
    { maxErrors: 10 },
  );
  if (coerced.errors) throw coerced.errors.map((e) => badInput(e.message, e));
  const args = argumentsOf(fieldDef, root, coerced.coerced);
  try {
    const m = measureOperation(opts.schema, operation, fragmentsOf(document), rawVariables);
    checkLimits(m, opts.limits);
    return {
      kind,
      workspaceId: String(args.workspaceId),
      filter: args.filter ?? null,
      since: args.since == null ? null : String(args.since),
      replayFrom: args.replayFrom == null ? null : isoTime(args.replayFrom),
      permissions:
        (args.since == null && args.replayFrom == null) ||
        kind.permissions.includes(BACKFILL_PERMISSION)
          ? kind.permissions
          : [...kind.permissions, BACKFILL_PERMISSION],
      cost: m.cost,
      delivery: rewriteAsQuery(document, operation, root, kind.queryField, rawVariables),
      operationName: operation.name?.value ?? null,
    };
  } catch (err) {
    if (err instanceof GraphQLError) throw [err];
    throw err;
  }
}

/** A DateTime argument as ISO text (BAD_USER_INPUT when it is not a time). */
function isoTime(value: unknown): string {
  const t = new Date(value as string);
  if (Number.isNaN(t.getTime())) throw [badInput('replayFrom is not a date-time')];
  return t.toISOString();
}

function argumentsOf(
  fieldDef: Parameters<typeof getArgumentValues>[0],
  node: FieldNode,
  variables: Record<string, unknown>,
): Record<string, unknown> {
  try {
    return getArgumentValues(fieldDef, node, variables);
  } catch (err) {
    if (err instanceof GraphQLError) throw [badInput(err.message, err)];
    throw err;
  }
}
