import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * Whether the operation asks, below the field being resolved, for the field at `path` (field
 * names, not aliases; through inline and named fragments, whatever their type condition). A
 * list resolver uses it to read at once what its items' fields would otherwise each ask for.
 * Answers are kept per field node: documents are parsed once and reused by the subgraph.
 */
export function selects(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  const key = path.join('.');
  return info.fieldNodes.some((node) => {
    let answers = ANSWERS.get(node);
    if (!answers) ANSWERS.set(node, (answers = new Map()));
    let answer = answers.get(key);
    if (answer === undefined) {
      answer = within(node.selectionSet, path, 0, info.fragments);
      answers.set(key, answer);
    }
    return answer;
  });
}

// Named fragments are part of the same document as the field nodes, so the answer of a node
// holds for as long as the node exists.
const ANSWERS = new WeakMap<FieldNode, Map<string, boolean>>();

function within(
  set: SelectionSetNode | undefined,
  path: readonly string[],
  depth: number,
  fragments: GraphQLResolveInfo['fragments'],
): boolean {
  if (!set) return false;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== path[depth]) continue;
      if (depth === path.length - 1) return true;
      if (within(selection.selectionSet, path, depth + 1, fragments)) return true;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (within(selection.selectionSet, path, depth, fragments)) return true;
    } else {
      // Validation has refused cycles of fragments before execution.
      const fragment = fragments[selection.name.value];
      if (within(fragment?.selectionSet, path, depth, fragments)) return true;
    }
  }
  return false;
}
