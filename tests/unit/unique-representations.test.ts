/**
 * gateway/src/representations: identical entity representations of one subgraph fetch are sent
 * once and the answer is spread back over every occurrence, in order, each its own object, with
 * errors repeated for every occurrence they concern.
 */
import { describe, expect, it } from 'vitest';
import { uniqueRepresentations } from '../../gateway/src/representations.js';

const user = (id: string) => ({ __typename: 'User', id });

describe('uniqueRepresentations', () => {
  it('leaves a fetch without representations or without duplicates alone', () => {
    expect(uniqueRepresentations(undefined)).toBeNull();
    expect(uniqueRepresentations({ id: 'x' })).toBeNull();
    expect(uniqueRepresentations({ representations: [user('a')] })).toBeNull();
    expect(uniqueRepresentations({ representations: [user('a'), user('b')] })).toBeNull();
  });

  it('sends each representation once, other variables kept', () => {
    const u = uniqueRepresentations({
      first: 5,
      representations: [user('a'), user('b'), user('a'), user('a'), user('c'), user('b')],
    })!;
    expect(u.variables).toEqual({ first: 5, representations: [user('a'), user('b'), user('c')] });
    expect(u.saved).toBe(3);
  });

  it('answers every occurrence in order, each its own copy', () => {
    const u = uniqueRepresentations({
      representations: [user('a'), user('b'), user('a'), user('a')],
    })!;
    const a = { handle: 'ann', profile: { tz: 'UTC' } };
    const b = { handle: 'bob', profile: { tz: 'CET' } };
    const out = u.expand({ data: { _entities: [a, b] } });
    const entities = out.data!._entities as (typeof a)[];
    expect(entities).toEqual([a, b, a, a]);
    expect(entities[0]).toBe(a);
    expect(new Set(entities).size).toBe(4);
    // Nested objects are not shared between occurrences (the planner merges into them).
    expect(entities[2]!.profile).not.toBe(entities[0]!.profile);
  });

  it('keeps nulls, and repeats each error of an entity for its every occurrence', () => {
    const u = uniqueRepresentations({
      representations: [user('a'), user('gone'), user('a'), user('gone')],
    })!;
    const out = u.expand({
      data: { _entities: [{ handle: 'ann' }, null] },
      errors: [
        {
          message: 'Not found',
          path: ['_entities', 1, 'handle'],
          extensions: { code: 'NOT_FOUND' },
        },
        { message: 'Elsewhere' },
      ],
    });
    expect(out.data!._entities).toEqual([{ handle: 'ann' }, null, { handle: 'ann' }, null]);
    expect(out.errors).toEqual([
      { message: 'Not found', path: ['_entities', 1, 'handle'], extensions: { code: 'NOT_FOUND' } },
      { message: 'Not found', path: ['_entities', 3, 'handle'], extensions: { code: 'NOT_FOUND' } },
      { message: 'Elsewhere' },
    ]);
  });

  it('passes an answer of the wrong length on as it is (the planner reports it)', () => {
    const u = uniqueRepresentations({ representations: [user('a'), user('a')] })!;
    const wrong = { data: { _entities: [{ handle: 'x' }, { handle: 'y' }] } };
    expect(u.expand(wrong)).toBe(wrong);
    const none = { data: null, errors: [{ message: 'down' }] };
    expect(u.expand(none)).toEqual(none);
  });
});
