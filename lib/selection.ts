import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * The names of the fields the operation asks for at `path` below the field being resolved
 * (field names, not aliases; through inline and named fragments, whatever their type condition;
 * under `@skip` and `@include` too): `['edges', 'node']` gives what a connection's items are
 * asked for. A list resolver uses it to read at once, or only, what its items' fields need.
 * Answers are kept per field node (documents are parsed once and reused by the subgraph), so the
 * same set comes back for the same operation and callers may cache by its identity.
 */
export function fieldsAt(info: GraphQLResolveInfo, path: readonly string[]): ReadonlySet<string> {
  if (info.fieldNodes.length === 1) return fieldsOf(info.fieldNodes[0]!, path, info.fragments);
  const all = new Set<string>();
  for (const node of info.fieldNodes)
    for (const name of fieldsOf(node, path, info.fragments)) all.add(name);
  return all;
}

/** Whether the operation asks, below the field being resolved, for the field at `path`. */
export function selects(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  return path.length > 0 && fieldsAt(info, path.slice(0, -1)).has(path[path.length - 1]!);
}

// Named fragments are part of the same document as the field nodes, so the answer of a node
// holds for as long as the node exists.
const FIELDS = new WeakMap<FieldNode, Map<string, ReadonlySet<string>>>();

function fieldsOf(
  node: FieldNode,
  path: readonly string[],
  fragments: GraphQLResolveInfo['fragments'],
): ReadonlySet<string> {
  let byPath = FIELDS.get(node);
  if (!byPath) FIELDS.set(node, (byPath = new Map()));
  const key = path.join('.');
  let names = byPath.get(key);
  if (!names) {
    const found = new Set<string>();
    collect(node.selectionSet, path, 0, fragments, found);
    byPath.set(key, (names = found));
  }
  return names;
}

function collect(
  set: SelectionSetNode | undefined,
  path: readonly string[],
  depth: number,
  fragments: GraphQLResolveInfo['fragments'],
  into: Set<string>,
): void {
  if (!set) return;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (depth === path.length) into.add(selection.name.value);
      else if (selection.name.value === path[depth])
        collect(selection.selectionSet, path, depth + 1, fragments, into);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collect(selection.selectionSet, path, depth, fragments, into);
    } else {
      // Validation has refused cycles of fragments before execution.
      collect(fragments[selection.name.value]?.selectionSet, path, depth, fragments, into);
    }
  }
}
