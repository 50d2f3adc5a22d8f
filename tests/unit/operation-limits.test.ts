/**
 * The gateway's operation measure (depth, aliases, root fields, directives, cost) and limit
 * checks on a small schema, without a gateway: lists and connections multiply the selection
 * below them by `first`, fragments count as if inlined, introspection is priced from the
 * schema's own sizes.
 */
import {
  buildSchema,
  getIntrospectionQuery,
  GraphQLError,
  Kind,
  parse,
  type OperationDefinitionNode,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  checkLimits,
  DEFAULT_LIMITS,
  fragmentsOf,
  introspectionAllowance,
  measureOperation,
  measureRequest,
  type OperationLimits,
} from '../../gateway/src/limits/operation-limits.js';

const schema = buildSchema(`
  interface Node { id: ID! }
  type Query {
    flowRuns(first: Int! = 20, after: String): FlowRunConnection!
    flowRun(id: ID!): FlowRun
    tags: [String!]!
    search(text: String): [SearchResult!]!
  }
  type Mutation { cancelFlowRun(id: ID!): FlowRun! }
  type FlowRunConnection { edges: [FlowRunEdge!]! nodes: [FlowRun!]! pageInfo: PageInfo! totalCount: Int! }
  type FlowRunEdge { cursor: String! node: FlowRun! }
  type PageInfo { hasNextPage: Boolean! endCursor: String }
  type FlowRun implements Node {
    id: ID!
    name: String!
    flow: Flow!
    taskRuns(first: Int): [TaskRun!]!
    parent: FlowRun
  }
  type TaskRun implements Node { id: ID! flowRun: FlowRun! }
  type Flow implements Node { id: ID! name: String! runs(first: Int! = 20): FlowRunConnection! }
  union SearchResult = FlowRun | Flow
`);

function measure(source: string, variables: Record<string, unknown> = {}) {
  const doc = parse(source);
  const op = doc.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  )!;
  return measureOperation(schema, op, fragmentsOf(doc), variables);
}
const cost = (source: string, variables?: Record<string, unknown>) =>
  measure(source, variables).cost;

/** The GraphQLError `f` throws. */
function thrown(f: () => unknown): GraphQLError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(GraphQLError);
    return e as GraphQLError;
  }
  throw new Error('no error');
}

describe('cost of data', () => {
  it('an object field costs 1, scalar leaves are free', () => {
    expect(measure('{ flowRun(id: "1") { id name } }')).toEqual({
      depth: 2,
      aliases: 0,
      rootFields: 1,
      directives: 0,
      cost: 1,
      introspectionCost: 0,
    });
    expect(cost('{ flowRun(id: "1") { id flow { name } } }')).toBe(2);
    expect(cost('{ tags }')).toBe(0);
  });

  it('a connection multiplies its selection by `first`; its edges are not counted twice', () => {
    // node + flow = 2, edges 1 + 2 = 3, flowRuns 1 + first × 3.
    const q = (first: number) =>
      `{ flowRuns(first: ${first}) { totalCount pageInfo { hasNextPage } edges { cursor node { id flow { name } } } } }`;
    // pageInfo is one object of the page: 1 + (pageInfo 1 + edges 3) × first.
    expect(cost(q(10))).toBe(1 + 10 * 4);
    expect(cost(q(200))).toBe(1 + 200 * 4);
    expect(cost(q(0))).toBe(1);
    expect(measure(q(10)).depth).toBe(5); // flowRuns edges node flow name
  });

  it('the page defaults to 20 when `first` is not given', () => {
    expect(cost('{ flowRuns { nodes { flow { id } } } }')).toBe(1 + 20 * 2);
    expect(cost('{ flowRun(id: "1") { taskRuns { flowRun { id } } } }')).toBe(1 + (1 + 20 * 1));
  });

  it('nested lists multiply: runs × task runs', () => {
    const q = (runs: number, tasks: number) =>
      `{ flowRuns(first: ${runs}) { nodes { taskRuns(first: ${tasks}) { flowRun { flow { id } } } } } }`;
    // flowRun→flow 2, taskRuns 1 + tasks × 2, nodes 1 + that, flowRuns 1 + runs × nodes.
    const expected = (runs: number, tasks: number) => 1 + runs * (1 + (1 + tasks * 2));
    expect(cost(q(10, 5))).toBe(expected(10, 5));
    expect(cost(q(100, 100))).toBe(expected(100, 100));
    expect(
      cost(
        '{ flowRuns(first: 10) { nodes { flow { runs(first: 10) { nodes { flow { runs(first: 10) { nodes { id } } } } } } } } }',
      ),
    ).toBe(1 + 10 * (1 + (1 + (1 + 10 * (1 + (1 + (1 + 10 * 1)))))));
  });

  it('reads `first` from variables, and from the variable’s default when none is sent', () => {
    const q = 'query Q($n: Int!) { flowRuns(first: $n) { nodes { flow { id } } } }';
    expect(cost(q, { n: 3 })).toBe(1 + 3 * 2);
    expect(cost(q, { n: 150 })).toBe(1 + 150 * 2);
    const withDefault = 'query Q($n: Int = 200) { flowRuns(first: $n) { nodes { flow { id } } } }';
    expect(cost(withDefault, { n: 5 })).toBe(1 + 5 * 2);
    // The page is 200 when the client sends no value: the cost must not fall back to 20.
    expect(cost(withDefault)).toBe(1 + 200 * 2);
    expect(
      thrown(() => cost('query Q($n: Int = 201) { flowRuns(first: $n) { nodes { id } } }'))
        .extensions,
    ).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'first',
    });
  });

  it('a request’s measure is looked up when no variable changes it, taken again when one does', () => {
    const constant = parse(
      'query Q($id: ID!) { flowRun(id: $id) { flow { runs(first: 5) { nodes { id } } } } }',
    );
    const paged = parse('query Q($n: Int!) { flowRuns(first: $n) { nodes { flow { id } } } }');
    const op = (doc: ReturnType<typeof parse>) => doc.definitions[0] as OperationDefinitionNode;
    const first = measureRequest(schema, op(constant), constant, { id: '1' });
    expect(first.cost).toBe(1 + 1 + (1 + 5 * 1));
    // The same operation node (a document from the store): the same measure, which nobody changes.
    expect(measureRequest(schema, op(constant), constant, { id: '2' })).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    // Another schema measures again.
    const other = buildSchema(
      'type Query { flowRun(id: ID!): FlowRun } type FlowRun { flow: Flow! } type Flow { runs(first: Int): [FlowRun!]! id: ID! }',
    );
    expect(measureRequest(other, op(constant), constant, {})).not.toBe(first);
    // A page size given by a variable: each request's own.
    expect(measureRequest(schema, op(paged), paged, { n: 3 }).cost).toBe(1 + 3 * 2);
    expect(measureRequest(schema, op(paged), paged, { n: 150 }).cost).toBe(1 + 150 * 2);
    expect(
      thrown(() => measureRequest(schema, op(paged), paged, { n: 201 })).extensions,
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it('refuses a page outside 0..200 naming `first`', () => {
    for (const [q, vars] of [
      ['{ flowRuns(first: 201) { totalCount } }', {}],
      ['{ flowRuns(first: -1) { totalCount } }', {}],
      ['{ flowRun(id: "1") { taskRuns(first: 1000) { id } } }', {}],
      ['query Q($n: Int!) { flowRuns(first: $n) { totalCount } }', { n: 201 }],
    ] as const) {
      const e = thrown(() => cost(q, vars));
      expect(e.extensions, q).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'first',
        http: { status: 400 },
      });
      expect(e.message).toContain('between 0 and 200');
    }
  });

  it('fragments and inline fragments cost what their inlined selection costs, without adding depth', () => {
    const inline =
      '{ flowRuns(first: 10) { nodes { id flow { runs(first: 3) { nodes { id } } } } } }';
    const spread = `
      query { flowRuns(first: 10) { ...Page } }
      fragment Page on FlowRunConnection { nodes { ...Run } }
      fragment Run on FlowRun { id flow { ... on Flow { runs(first: 3) { nodes { id } } } } }`;
    expect(measure(spread)).toEqual(measure(inline));
    // The same fragment spread twice is counted twice (it is resolved twice under aliases).
    expect(
      cost(
        `{ a: flowRun(id: "1") { ...R } b: flowRun(id: "2") { ...R } } fragment R on FlowRun { flow { id } }`,
      ),
    ).toBe(2 * 2);
  });

  it('a union list costs the most of the page times its inline fragments', () => {
    const q =
      '{ search { ... on FlowRun { flow { id } } ... on Flow { runs(first: 2) { nodes { id } } } } }';
    // search: 1 + 20 × (flow 1 + runs (1 + 2 × 1)).
    expect(cost(q)).toBe(1 + 20 * (1 + 3));
  });

  it('a fragment that spreads itself is measured once, not forever', () => {
    const q = `{ flowRun(id: "1") { ...A } } fragment A on FlowRun { parent { id ...A } }`;
    expect(measure(q)).toMatchObject({ cost: 2, depth: 3 });
  });

  it('mutations are measured on the mutation type; a missing root type measures nothing', () => {
    expect(cost('mutation { cancelFlowRun(id: "1") { flow { id } } }')).toBe(2);
    expect(measure('subscription { flowRuns { totalCount } }')).toMatchObject({
      cost: 0,
      rootFields: 0,
    });
  });
});

describe('depth, aliases, root fields, directives', () => {
  it('counts depth of nested objects', () => {
    expect(measure('{ flowRun(id: "1") { parent { parent { parent { id } } } } }').depth).toBe(5);
    expect(measure('{ tags }').depth).toBe(1);
  });

  it('counts aliases and root fields (including aliased ones), not __typename', () => {
    const m = measure(
      '{ a: flowRun(id: "1") { id x: name } b: flowRun(id: "2") { id } tags __typename }',
    );
    expect(m).toMatchObject({ aliases: 3, rootFields: 3, cost: 2 });
  });

  it('counts directives on the operation, fields and fragment spreads', () => {
    const m = measure(`
      query Q($x: Boolean!) @skip(if: false) {
        flowRun(id: "1") @include(if: $x) { id @skip(if: $x) ...F @include(if: $x) }
      }
      fragment F on FlowRun { name @include(if: true) }`);
    expect(m.directives).toBe(5);
  });
});

describe('introspection', () => {
  const typeCount = Object.keys(schema.getTypeMap()).length;

  it('__schema { types } costs one per type of the schema and no depth', () => {
    const m = measure('{ __schema { types { name } } }');
    expect(m).toMatchObject({
      cost: 1 + typeCount,
      introspectionCost: 1 + typeCount,
      depth: 0,
      rootFields: 1,
    });
    expect(measure('{ s: __schema { types { n: name } } }').aliases).toBe(2);
  });

  it('ofType chains stop at the schema’s deepest type reference ([FlowRunEdge!]!: 3 links)', () => {
    const chain = (links: number) => {
      let sel = 'name';
      for (let i = 0; i < links; i++) sel = `name ofType { ${sel} }`;
      return measure(`{ __type(name: "FlowRunConnection") { fields { type { ${sel} } } } }`).cost;
    };
    expect(chain(1)).toBeLessThan(chain(2));
    expect(chain(2)).toBeLessThan(chain(3));
    expect(chain(6)).toBe(chain(3));
  });

  it('one full introspection fits the allowance, data is held to the cost limit separately', () => {
    const full = measure(
      getIntrospectionQuery({
        descriptions: true,
        specifiedByUrl: true,
        directiveIsRepeatable: true,
        schemaDescription: true,
        inputValueDeprecation: true,
      }),
    );
    expect(full.cost).toBe(full.introspectionCost);
    const tiny: OperationLimits = { ...DEFAULT_LIMITS, cost: 10 };
    const allowance = introspectionAllowance(schema, tiny);
    expect(allowance).toBe(Math.max(10, full.cost));
    expect(() => checkLimits(full, tiny, allowance)).not.toThrow();
    expect(thrown(() => checkLimits(full, tiny)).message).toContain(
      `Introspection cost ${full.cost} exceeds the limit of 10`,
    );
    expect(introspectionAllowance(schema, { ...DEFAULT_LIMITS, cost: 10 ** 9 })).toBe(10 ** 9);

    const mixed = measure(
      '{ __schema { types { name } } flowRuns(first: 10) { nodes { flow { id } } } }',
    );
    expect(mixed).toMatchObject({ cost: 1 + typeCount + 21, introspectionCost: 1 + typeCount });
    expect(() => checkLimits(mixed, { ...DEFAULT_LIMITS, cost: 21 }, allowance)).not.toThrow();
    expect(
      thrown(() => checkLimits(mixed, { ...DEFAULT_LIMITS, cost: 20 }, allowance)).message,
    ).toBe('Query cost 21 exceeds the limit of 20');
  });
});

describe('checkLimits', () => {
  const base = {
    depth: 1,
    aliases: 0,
    rootFields: 1,
    directives: 0,
    cost: 1,
    introspectionCost: 0,
  };
  const limits: OperationLimits = { depth: 3, aliases: 2, rootFields: 2, directives: 2, cost: 100 };

  it('accepts a measure at every limit', () => {
    expect(() =>
      checkLimits(
        { ...base, depth: 3, aliases: 2, rootFields: 2, directives: 2, cost: 100 },
        limits,
      ),
    ).not.toThrow();
  });

  it('refuses each limit exceeded with BAD_USER_INPUT and the numbers', () => {
    for (const [over, message] of [
      [{ depth: 4 }, 'Query depth 4 exceeds the limit of 3'],
      [{ aliases: 3 }, '3 aliases exceed the limit of 2'],
      [{ rootFields: 3 }, '3 root fields exceed the limit of 2'],
      [{ directives: 3 }, '3 directives exceed the limit of 2'],
      [{ cost: 101 }, 'Query cost 101 exceeds the limit of 100'],
    ] as const) {
      const e = thrown(() => checkLimits({ ...base, ...over }, limits));
      expect(e.message).toBe(message);
      expect(e.extensions).toMatchObject({ code: 'BAD_USER_INPUT', http: { status: 400 } });
    }
  });

  it('measured operations over the default limits are refused', () => {
    const deep = `{ flowRun(id: "1") { ${'parent { '.repeat(10)}id${' }'.repeat(10)} } }`;
    expect(thrown(() => checkLimits(measure(deep), DEFAULT_LIMITS)).message).toBe(
      'Query depth 12 exceeds the limit of 10',
    );
    const aliases = `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: tags`).join(' ')} }`;
    expect(thrown(() => checkLimits(measure(aliases), DEFAULT_LIMITS)).message).toBe(
      '16 aliases exceed the limit of 15',
    );
    // 200 × 200 task runs with an object each: far over 5000.
    const wide = '{ flowRuns(first: 200) { nodes { taskRuns(first: 200) { flowRun { id } } } } }';
    expect(thrown(() => checkLimits(measure(wide), DEFAULT_LIMITS)).message).toBe(
      `Query cost ${1 + 200 * (1 + (1 + 200))} exceeds the limit of 5000`,
    );
  });
});
