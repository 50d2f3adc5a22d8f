import type { GraphQLResolveInfo } from 'graphql';
import { fieldsAt } from './selection.js';

/**
 * What the fields of one GraphQL object type read of the entity behind it, so that a list can
 * read only the columns its operation needs (a page of runs asking for names and states need
 * not read, parse and convert every run's parameters, labels and timestamps).
 *
 * A field that is not declared reads the whole row: declaring is an optimisation, never a
 * condition of a right answer. A field that hands its whole object to a service (a run's state
 * history, its task runs) stays undeclared. The key and what pages order by are read anyway
 * (lib/plain-sql `plainPage`).
 */
export interface FieldReads {
  /** Per GraphQL field (its name, not an alias), the properties its answer is made of. */
  readonly fields: ReadonlyMap<string, readonly string[]>;
}

/**
 * `plain`: fields answered by the entity's property of the same name; `computed`: fields whose
 * resolvers read the properties listed.
 */
export function fieldReads(
  plain: readonly string[],
  computed: Readonly<Record<string, readonly string[]>> = {},
): FieldReads {
  const fields = new Map<string, readonly string[]>(plain.map((p) => [p, [p]]));
  for (const [field, props] of Object.entries(computed)) fields.set(field, props);
  return { fields };
}

/**
 * The properties the items at `path` below the field being resolved read (lib/selection
 * `fieldsAt`), or null when one of the fields asked is not declared in `reads` (then the whole
 * row is read). `__typename` reads nothing. The same operation gets the same array back, so
 * callers may cache what they build from it by identity.
 */
export function projection(
  info: GraphQLResolveInfo,
  path: readonly string[],
  reads: FieldReads,
): readonly string[] | null {
  const names = fieldsAt(info, path);
  let byNames = CACHE.get(reads);
  if (!byNames) CACHE.set(reads, (byNames = new WeakMap()));
  let props = byNames.get(names);
  if (props === undefined) {
    props = propsOf(names, reads);
    byNames.set(names, props);
  }
  return props;
}

const CACHE = new WeakMap<FieldReads, WeakMap<ReadonlySet<string>, readonly string[] | null>>();

function propsOf(names: ReadonlySet<string>, reads: FieldReads): readonly string[] | null {
  const props = new Set<string>();
  for (const name of names) {
    if (name === '__typename') continue;
    const read = reads.fields.get(name);
    if (!read) return null;
    for (const p of read) props.add(p);
  }
  return [...props];
}
