import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLSchema,
  type GraphQLOutputType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from '../../../lib/pagination.js';

/** Upper bounds on one operation, checked before planning (defaults near ISSUE 6's numbers). */
export interface OperationLimits {
  depth: number;
  aliases: number;
  rootFields: number;
  directives: number;
  cost: number;
}

export const DEFAULT_LIMITS: OperationLimits = {
  depth: 10,
  aliases: 15,
  rootFields: 20,
  directives: 20,
  cost: 5000,
};

export interface OperationMeasure {
  depth: number;
  aliases: number;
  rootFields: number;
  directives: number;
  cost: number;
}

function reject(message: string, field?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'BAD_USER_INPUT', ...(field ? { field } : {}), http: { status: 400 } },
  });
}

/** The page size a list field asks for: `first`/`last` (literal or variable), else the default. */
function pageSize(node: FieldNode, variables: Record<string, unknown>): number | null {
  const arg = node.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'last');
  if (!arg) return null;
  const v = valueOf(arg.value, variables);
  return typeof v === 'number' ? v : null;
}

function valueOf(node: ValueNode, variables: Record<string, unknown>): unknown {
  if (node.kind === Kind.VARIABLE) return variables[node.name.value];
  if (node.kind === Kind.INT) return Number(node.value);
  return undefined;
}

/**
 * Measures an operation: depth, aliases, root fields, directives, and a cost where each object
 * field costs 1 (scalar leaves are free) and the selection below a list multiplies by the page
 * it asks for (`first`/`last`, default 20, for connections and plain lists; a connection's
 * `edges` are not counted twice).
 * Introspection fields are not counted: tools need them and their shape is fixed.
 */
export function measureOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): OperationMeasure {
  const m: OperationMeasure = { depth: 0, aliases: 0, rootFields: 0, directives: 0, cost: 0 };
  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  if (!root) return m;

  const visit = (
    set: SelectionSetNode,
    parent: GraphQLOutputType,
    depth: number,
    seen: Set<string>,
  ): number => {
    let cost = 0;
    const type = getNamedType(parent);
    for (const sel of set.selections) {
      m.directives += sel.directives?.length ?? 0;
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        if (name.startsWith('__')) continue;
        if (sel.alias) m.aliases++;
        if (depth === 1) m.rootFields++;
        m.depth = Math.max(m.depth, depth);
        const field: GraphQLField<unknown, unknown> | undefined =
          isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
        let child = 0;
        if (sel.selectionSet && field) child = visit(sel.selectionSet, field.type, depth + 1, seen);
        let multiplier = 1;
        if (field) {
          const size = pageSize(sel, variables);
          const isConnection = getNamedType(field.type).name.endsWith('Connection');
          if (size !== null && (size > MAX_PAGE_SIZE || size < 0)) {
            throw reject(`${name}: first/last must be between 0 and ${MAX_PAGE_SIZE}`, 'first');
          }
          // A connection's `edges` list is its page, already counted on the connection.
          const insideConnection = type.name.endsWith('Connection');
          if (isConnection) multiplier = size ?? DEFAULT_PAGE_SIZE;
          else if (!insideConnection && isListType(getNullableType(field.type))) {
            multiplier = size ?? DEFAULT_PAGE_SIZE;
          }
        }
        // Leaves (scalars, enums) are free: what costs is resolving objects and lists of them.
        const leaf = !sel.selectionSet;
        cost += (leaf ? 0 : 1) + multiplier * child;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const on = sel.typeCondition
          ? (schema.getType(sel.typeCondition.name.value) as GraphQLOutputType)
          : parent;
        cost += visit(sel.selectionSet, on ?? parent, depth, seen);
      } else {
        const frag = fragments[sel.name.value];
        if (!frag || seen.has(frag.name.value)) continue;
        const on = schema.getType(frag.typeCondition.name.value) as GraphQLOutputType | undefined;
        seen.add(frag.name.value);
        cost += visit(frag.selectionSet, on ?? parent, depth, seen);
        seen.delete(frag.name.value);
      }
    }
    return cost;
  };
  m.directives += operation.directives?.length ?? 0;
  m.cost = visit(operation.selectionSet, root, 1, new Set());
  return m;
}

/** Throws BAD_USER_INPUT when a measured operation exceeds one of the limits. */
export function checkLimits(m: OperationMeasure, limits: OperationLimits): void {
  if (m.depth > limits.depth)
    throw reject(`Query depth ${m.depth} exceeds the limit of ${limits.depth}`);
  if (m.aliases > limits.aliases)
    throw reject(`${m.aliases} aliases exceed the limit of ${limits.aliases}`);
  if (m.rootFields > limits.rootFields) {
    throw reject(`${m.rootFields} root fields exceed the limit of ${limits.rootFields}`);
  }
  if (m.directives > limits.directives) {
    throw reject(`${m.directives} directives exceed the limit of ${limits.directives}`);
  }
  if (m.cost > limits.cost)
    throw reject(`Query cost ${m.cost} exceeds the limit of ${limits.cost}`);
}

/** The fragment definitions of a document, by name. */
export function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  const out: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) out[d.name.value] = d;
  return out;
}

/** Rejects operations over the limits with BAD_USER_INPUT, before any subgraph is called. */
export function operationLimitsPlugin(
  limits: OperationLimits,
  onMeasured?: (rc: GraphQLRequestContext<any>, m: OperationMeasure) => Promise<void> | void,
): ApolloServerPlugin<any> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          if (!rc.operation) return;
          const m = measureOperation(
            rc.schema,
            rc.operation,
            fragmentsOf(rc.document),
            (rc.request.variables ?? {}) as Record<string, unknown>,
          );
          checkLimits(m, limits);
          await onMeasured?.(rc, m);
        },
      };
    },
  };
}
