/**
 * lib/selection `selects` and `fieldsAt` (what a list resolver reads ahead for its items),
 * lib/projection (which properties its items' fields read) and lib/loaders `RowLoader` (rows a
 * request has read, answered without a promise).
 */
import {
  parse,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLResolveInfo,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { RowLoader } from '../../lib/loaders.js';
import { fieldReads, projection } from '../../lib/projection.js';
import { fieldsAt, selects } from '../../lib/selection.js';

/** The resolve info of the first field of the document's operation (`flowRuns`). */
function infoOf(document: string): GraphQLResolveInfo {
  const doc = parse(document);
  const fragments: Record<string, FragmentDefinitionNode> = {};
  let field: FieldNode | undefined;
  for (const def of doc.definitions) {
    if (def.kind === 'FragmentDefinition') fragments[def.name.value] = def;
    if (def.kind === 'OperationDefinition') field = def.selectionSet.selections[0] as FieldNode;
  }
  return { fieldNodes: [field!], fragments } as unknown as GraphQLResolveInfo;
}

const FLOW = ['edges', 'node', 'flow'];

describe('selects', () => {
  it('finds a field by its path of names', () => {
    expect(selects(infoOf('{ flowRuns { edges { node { id flow { name } } } } }'), FLOW)).toBe(
      true,
    );
    expect(selects(infoOf('{ flowRuns { edges { node { id name } } } }'), FLOW)).toBe(false);
    // Same name elsewhere in the tree is not the path.
    expect(selects(infoOf('{ flowRuns { edges { flow { id } node { id } } } }'), FLOW)).toBe(false);
    expect(selects(infoOf('{ flowRuns { totalCount } }'), FLOW)).toBe(false);
  });

  it('follows aliases by the field name, and inline and named fragments', () => {
    expect(
      selects(infoOf('{ flowRuns { e: edges { n: node { f: flow { name } } } } }'), FLOW),
    ).toBe(true);
    expect(
      selects(
        infoOf('{ flowRuns { edges { ... on FlowRunEdge { node { flow { id } } } } } }'),
        FLOW,
      ),
    ).toBe(true);
    expect(
      selects(
        infoOf(`{ flowRuns { ...A } }
          fragment A on FlowRunConnection { edges { node { ...B } } }
          fragment B on FlowRun { flow { name } }`),
        FLOW,
      ),
    ).toBe(true);
    expect(
      selects(
        infoOf(`{ flowRuns { ...A } } fragment A on FlowRunConnection { edges { node { id } } }`),
        FLOW,
      ),
    ).toBe(false);
  });

  it('answers the same for the same field node again (kept per node)', () => {
    const info = infoOf('{ flowRuns { edges { node { flow { name } } } } }');
    expect(selects(info, FLOW)).toBe(true);
    expect(selects(info, FLOW)).toBe(true);
    expect(selects(info, ['edges', 'node', 'deployment'])).toBe(false);
  });
});

describe('fieldsAt and projection', () => {
  const READS = fieldReads(['id', 'name'], { flow: ['flowId'], createdBy: ['byType', 'byId'] });
  const NODE = ['edges', 'node'];

  it('lists the fields asked at a path, by name, through aliases and fragments', () => {
    const info = infoOf(
      `{ flowRuns { edges { node { id n: name ...F ... on FlowRun { __typename } } } } } fragment F on FlowRun { flow { name } }`,
    );
    expect([...fieldsAt(info, NODE)].sort()).toEqual(['__typename', 'flow', 'id', 'name']);
    expect([...fieldsAt(info, [])]).toEqual(['edges']);
    // The same set for the same field node: what callers cache by.
    expect(fieldsAt(info, NODE)).toBe(fieldsAt(info, NODE));
  });

  it('reads the declared properties, and the whole row (null) for a field not declared', () => {
    const info = infoOf('{ flowRuns { edges { node { id flow { name } createdBy { id } } } } }');
    expect([...projection(info, NODE, READS)!].sort()).toEqual(['byId', 'byType', 'flowId', 'id']);
    expect(projection(info, NODE, READS)).toBe(projection(info, NODE, READS));
    expect(
      projection(infoOf('{ flowRuns { edges { node { id states { id } } } } }'), NODE, READS),
    ).toBeNull();
    expect(
      projection(infoOf('{ flowRuns { edges { node { __typename } } } }'), NODE, READS),
    ).toEqual([]);
  });
});

describe('RowLoader', () => {
  const batches: string[][] = [];
  const loader = () =>
    new RowLoader<{ id: string; v: number }>(async (ids) => {
      batches.push([...ids]);
      return ids.map((id) => (id === 'missing' ? null : { id, v: 1 }));
    });

  it('peeks at nothing before a load, and at each row (or null) once its batch is read', async () => {
    const l = loader();
    expect(l.peek('a')).toBeUndefined();
    const pending = l.loadMany(['a', 'missing']);
    expect(l.peek('a')).toBeUndefined();
    await pending;
    expect(l.peek('a')).toEqual({ id: 'a', v: 1 });
    expect(l.peek('missing')).toBeNull();
    expect(await l.load('a')).toBe(l.peek('a'));
  });

  it('peeks at a primed row; a prime after a load changes nothing, as in DataLoader', async () => {
    const l = loader();
    const row = { id: 'p', v: 2 };
    l.prime('p', row);
    expect(l.peek('p')).toBe(row);
    expect(await l.load('p')).toBe(row);
    const loaded = await l.load('q');
    l.prime('q', { id: 'q', v: 3 });
    expect(l.peek('q')).toBe(loaded);
    expect(await l.load('q')).toBe(loaded);
    // A prime while the load is pending does not answer ahead of it either.
    const pending = l.load('r');
    l.prime('r', { id: 'r', v: 4 });
    expect(l.peek('r')).toBeUndefined();
    expect((await pending)!.v).toBe(1);
  });

  it('forgets what is cleared', async () => {
    const l = loader();
    await l.load('c');
    l.clear('c');
    expect(l.peek('c')).toBeUndefined();
    await l.load('d');
    l.clearAll();
    expect(l.peek('d')).toBeUndefined();
    batches.length = 0;
    await l.load('d');
    expect(batches).toEqual([['d']]);
  });
});
