import {
  Kind,
  OperationTypeNode,
  print,
  visit,
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from 'graphql';

/** The variable that carries the event id into the rewritten query. */
export const EVENT_ID_VARIABLE = '__id';

/** A subscription's selection set as the query that resolves one event. */
export interface DeliveryQuery {
  /** `query($__id: ID!, …used client variables) { <alias>: <queryField>(id: $__id) { …sel } }`. */
  query: string;
  /** The client's variables that the selection set still uses (without `__id`). */
  variables: Record<string, unknown>;
  /** The key of the root field in results: the client's alias or the subscription field name. */
  responseKey: string;
}

/** Fragment names spread anywhere under `node`. */
function spreads(node: ASTNode): Set<string> {
  const names = new Set<string>();
  visit(node, { FragmentSpread: (s) => void names.add(s.name.value) });
  return names;
}

/** Every fragment reachable from `root`, in document order. */
function reachableFragments(
  root: ASTNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): FragmentDefinitionNode[] {
  const seen = new Set<string>();
  const todo = [...spreads(root)];
  while (todo.length) {
    const name = todo.pop()!;
    const frag = fragments.get(name);
    if (!frag || seen.has(name)) continue;
    seen.add(name);
    todo.push(...spreads(frag));
  }
  return [...fragments.values()].filter((f) => seen.has(f.name.value));
}

function variablesUsed(nodes: readonly ASTNode[]): Set<string> {
  const names = new Set<string>();
  for (const n of nodes) visit(n, { Variable: (v) => void names.add(v.name.value) });
  return names;
}

/**
 * Rewrites the root field of a subscription (`flowRunEvents(workspaceId: …, filter: …) { sel }`)
 * into the query that resolves one event with the same selection set
 * (`query($__id: ID!) { flowRunEvents: flowRunEvent(id: $__id) { sel } }`), keeping the client's
 * fragments and the variables the selection set uses, so the result has the shape the client
 * asked for.
 */
export function rewriteAsQuery(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  root: FieldNode,
  queryField: string,
  clientVariables: Record<string, unknown>,
): DeliveryQuery {
  const responseKey = root.alias?.value ?? root.name.value;
  const field: FieldNode = {
    ...root,
    alias: { kind: Kind.NAME, value: responseKey },
    name: { kind: Kind.NAME, value: queryField },
    arguments: [
      {
        kind: Kind.ARGUMENT,
        name: { kind: Kind.NAME, value: 'id' },
        value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: EVENT_ID_VARIABLE } },
      },
    ],
  };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  }
  const usedFragments = reachableFragments(field, fragments);
  const used = variablesUsed([{ ...field, arguments: [] } as FieldNode, ...usedFragments]);
  const idDefinition: VariableDefinitionNode = {
    kind: Kind.VARIABLE_DEFINITION,
    variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: EVENT_ID_VARIABLE } },
    type: {
      kind: Kind.NON_NULL_TYPE,
      type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } },
    },
  };
  const kept = (operation.variableDefinitions ?? []).filter((d) => used.has(d.variable.name.value));
  const query: OperationDefinitionNode = {
    kind: Kind.OPERATION_DEFINITION,
    operation: OperationTypeNode.QUERY,
    name: operation.name,
    variableDefinitions: [idDefinition, ...kept],
    directives: [],
    selectionSet: { kind: Kind.SELECTION_SET, selections: [field] },
  };
  const variables: Record<string, unknown> = {};
  for (const d of kept) {
    const name = d.variable.name.value;
    if (name in clientVariables) variables[name] = clientVariables[name];
  }
  return {
    query: print({ kind: Kind.DOCUMENT, definitions: [query, ...usedFragments] }),
    variables,
    responseKey,
  };
}
