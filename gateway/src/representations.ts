import type { GraphQLFormattedError } from 'graphql';
import type { SubgraphResult } from './transport.js';

/**
 * The query planner sends a subgraph one entity representation per occurrence: a page of 100
 * runs created by one user asks the users subgraph to resolve that user 100 times (and to
 * coerce, answer and send back 100 copies). Identical representations of one fetch go once;
 * the answer is spread back over every occurrence, each its own copy (the planner merges later
 * fetches into the objects it receives), errors repeated for each occurrence they concern.
 * The same caller resolving the same representation in the same fetch gets the same answer,
 * so nothing is seen that would not have been.
 */
export interface UniqueRepresentations {
  /** The fetch's variables with each representation once. */
  variables: Record<string, unknown>;
  /** The answer to every occurrence, in the planner's order. */
  expand(result: SubgraphResult): SubgraphResult;
  /** How many representations were not sent. */
  saved: number;
}

/** Null when the fetch has no representations or no two alike. */
export function uniqueRepresentations(
  variables: Record<string, unknown> | undefined,
): UniqueRepresentations | null {
  const reps = variables?.representations;
  if (!Array.isArray(reps) || reps.length < 2) return null;
  const seen = new Map<string, number>();
  const unique: unknown[] = [];
  // For each occurrence, the position of its representation in `unique`.
  const slot: number[] = [];
  for (const rep of reps) {
    // The planner writes every representation of a fetch from one selection set: the same
    // entity gives the same text.
    const key = JSON.stringify(rep);
    let at = seen.get(key);
    if (at === undefined) {
      at = unique.length;
      seen.set(key, at);
      unique.push(rep);
    }
    slot.push(at);
  }
  if (unique.length === reps.length) return null;
  return {
    variables: { ...variables, representations: unique },
    saved: reps.length - unique.length,
    expand: (result) => expand(result, slot, unique.length),
  };
}

function expand(result: SubgraphResult, slot: number[], count: number): SubgraphResult {
  const out: SubgraphResult = { ...result };
  const entities = result.data?._entities;
  if (Array.isArray(entities)) {
    // An answer of the wrong length is passed on as it is: the planner reports it.
    if (entities.length !== count) return result;
    const used = new Array<boolean>(count).fill(false);
    out.data = {
      ...result.data,
      _entities: slot.map((at) => {
        const entity = entities[at];
        if (!used[at]) {
          used[at] = true;
          return entity;
        }
        return entity === null || typeof entity !== 'object' ? entity : structuredClone(entity);
      }),
    };
  }
  if (result.errors?.length) {
    const occurrences = new Map<number, number[]>();
    slot.forEach((at, i) => {
      const list = occurrences.get(at);
      if (list) list.push(i);
      else occurrences.set(at, [i]);
    });
    out.errors = result.errors.flatMap((error): GraphQLFormattedError[] => {
      const path = error.path;
      if (!path || path[0] !== '_entities' || typeof path[1] !== 'number') return [error];
      const at = occurrences.get(path[1]);
      if (!at) return [error];
      return at.map((i) => ({ ...error, path: ['_entities', i, ...path.slice(2)] }));
    });
  }
  return out;
}
