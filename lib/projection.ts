import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * What the fields of one GraphQL object type read of the entity behind it, so that a list can
 * read only the columns its operation needs (a page of runs asking for names and states need
 * not read, parse and convert every run's parameters, labels and timestamps).
 *
 * A field that is not declared reads the whole row: declaring is an optimisation, never a
 * condition of a right answer. A field that hands its whole object to a service (a run's state
 * history, its task runs) stays undeclared.
 */
export interface FieldReads {
  /** Properties read whatever is asked: the key, what cursors and references need. */
  readonly always: readonly string[];
  /** Per GraphQL field (its name, not an alias), the properties its answer is made of. */
  readonly fields: ReadonlyMap<string, readonly string[]>;
}

/**
 * `plain`: fields answered by the entity's property of the same name; `computed`: fields whose
 * resolvers read the properties listed.
 */
export function fieldReads(
  always: readonly string[],
  plain: readonly string[],
  computed: Readonly<Record<string, readonly string[]>> = {},
): FieldReads {
  const fields = new Map<string, readonly string[]>(plain.map((p) => [p, [p]]));
  for (const [field, props] of Object.entries(computed)) fields.set(field, props);
  return { always, fields };
}

/**
 * The properties the items at `path` below the field being resolved read (`['edges', 'node']`
 * for a connection's nodes; through aliases, inline and named fragments), or null when one of
 * the fields asked is not declared in `reads` (then the whole row is read). `__typename` reads
 * nothing. Fields under `@skip` or `@include` count as asked (reading more is harmless). The
 * answer is kept per field node (documents are parsed once and reused) and is the same array
 * each time, so callers may cache what they build from it by identity.
 */
export function projection(
  info: GraphQLResolveInfo,
  path: readonly string[],
  reads: FieldReads,
): readonly string[] | null {
  if (info.fieldNodes.length === 1) return projectionOf(info.fieldNodes[0]!, info, path, reads);
  const all = new Set<string>();
  for (const node of info.fieldNodes) {
    const props = projectionOf(node, info, path, reads);
    if (!props) return null;
    for (const p of props) all.add(p);
  }
  return [...all];
}

const CACHE = new WeakMap<FieldReads, WeakMap<FieldNode, Map<string, readonly string[] | null>>>();

function projectionOf(
  node: FieldNode,
  info: GraphQLResolveInfo,
  path: readonly string[],
  reads: FieldReads,
): readonly string[] | null {
  let byNode = CACHE.get(reads);
  if (!byNode) CACHE.set(reads, (byNode = new WeakMap()));
  let byPath = byNode.get(node);
  if (!byPath) byNode.set(node, (byPath = new Map()));
  const key = path.join('.');
  let answer = byPath.get(key);
  if (answer === undefined) {
    const names = new Set<string>();
    collect(node.selectionSet, path, 0, info.fragments, names);
    const props = new Set(reads.always);
    answer = [...props];
    for (const name of names) {
      if (name === '__typename') continue;
      const read = reads.fields.get(name);
      if (!read) {
        answer = null;
        break;
      }
      for (const p of read) props.add(p);
    }
    if (answer) answer = [...props];
    byPath.set(key, answer);
  }
  return answer;
}

/** The names of the fields selected at `path` (from `depth` on) in `set`. */
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
