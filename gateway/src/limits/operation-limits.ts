import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  getIntrospectionQuery,
  getNamedType,
  getNullableType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isListType,
  isObjectType,
  isInterfaceType,
  isWrappingType,
  parse,
  type GraphQLObjectType,
  type GraphQLType,
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
  /** Everything the operation costs (charged to the rate-limit budgets). */
  cost: number;
  /** The part of `cost` that reads the schema (`__schema`, `__type`). */
  introspectionCost: number;
}

function reject(message: string, field?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'BAD_USER_INPUT', ...(field ? { field } : {}), http: { status: 400 } },
  });
}

/**
 * The page size a list field asks for: `first`/`last` (literal or variable), else the default.
 * `reads.variables` is set when the size comes from a variable.
 */
function pageSize(
  node: FieldNode,
  variables: Record<string, unknown>,
  reads?: { variables: boolean },
): number | null {
  const arg = node.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'last');
  if (!arg) return null;
  if (reads && arg.value.kind === Kind.VARIABLE) reads.variables = true;
  const v = valueOf(arg.value, variables);
  return typeof v === 'number' ? v : null;
}

function valueOf(node: ValueNode, variables: Record<string, unknown>): unknown {
  if (node.kind === Kind.VARIABLE) return variables[node.name.value];
  if (node.kind === Kind.INT) return Number(node.value);
  return undefined;
}

/** How many objects the lists of introspection hold on one schema (averages per parent). */
interface SchemaSizes {
  /** `__Schema.types`, `__Schema.directives`. */
  types: number;
  directives: number;
  /** Per type: `fields`, `inputFields`, `enumValues`, `interfaces`, `possibleTypes`. */
  perType: Record<string, number>;
  /** `__Field.args` per field, `__Directive.args` per directive. */
  argsPerField: number;
  argsPerDirective: number;
  /** The most `ofType` links any type reference of the schema has. */
  wrapping: number;
  /** What the full introspection query of graphql-js (GraphiQL's) costs on this schema. */
  fullIntrospection: number;
}

const sizesBySchema = new WeakMap<GraphQLSchema, SchemaSizes>();

function wrappingOf(type: GraphQLType): number {
  let n = 0;
  for (let t = type; isWrappingType(t); t = t.ofType) n++;
  return n;
}

/** Counts the schema once: the list sizes an introspection query will meet. */
function schemaSizes(schema: GraphQLSchema): SchemaSizes {
  let sizes = sizesBySchema.get(schema);
  if (sizes) return sizes;
  const types = Object.values(schema.getTypeMap());
  const directives = schema.getDirectives();
  const sum = { fields: 0, inputFields: 0, enumValues: 0, interfaces: 0, possibleTypes: 0 };
  let args = 0;
  let wrapping = 0;
  for (const t of types) {
    if (isObjectType(t) || isInterfaceType(t)) {
      const fields = Object.values(t.getFields());
      sum.fields += fields.length;
      sum.interfaces += t.getInterfaces().length;
      for (const f of fields) {
        args += f.args.length;
        wrapping = Math.max(wrapping, wrappingOf(f.type), ...f.args.map((a) => wrappingOf(a.type)));
      }
    }
    if (isAbstractType(t)) sum.possibleTypes += schema.getPossibleTypes(t).length;
    if (isEnumType(t)) sum.enumValues += t.getValues().length;
    if (isInputObjectType(t)) {
      const fields = Object.values(t.getFields());
      sum.inputFields += fields.length;
      for (const f of fields) wrapping = Math.max(wrapping, wrappingOf(f.type));
    }
  }
  const count = Math.max(1, types.length);
  sizes = {
    types: types.length,
    directives: directives.length,
    perType: Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, v / count])),
    argsPerField: sum.fields ? args / sum.fields : 0,
    argsPerDirective: directives.length
      ? directives.reduce((n, d) => n + d.args.length, 0) / directives.length
      : 0,
    wrapping,
    fullIntrospection: 0,
  };
  sizesBySchema.set(schema, sizes);
  const full = parse(
    getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    }),
  );
  const op = full.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION)!;
  sizes.fullIntrospection = measureOperation(schema, op, fragmentsOf(full), {}).cost;
  return sizes;
}

/** How many objects an introspection list field yields per parent object. */
function introspectionListSize(sizes: SchemaSizes, parent: string, field: string): number {
  if (parent === '__Schema') return field === 'types' ? sizes.types : sizes.directives;
  if (field === 'args')
    return parent === '__Directive' ? sizes.argsPerDirective : sizes.argsPerField;
  return sizes.perType[field] ?? 1;
}

/**
 * The most an operation may spend on introspection: the limit for data, or one full
 * introspection of this schema (GraphiQL's query) when that costs more.
 */
export function introspectionAllowance(schema: GraphQLSchema, limits: OperationLimits): number {
  return Math.max(limits.cost, schemaSizes(schema).fullIntrospection);
}

/**
 * Measures an operation: depth, aliases, root fields, directives, and a cost where each object
 * field costs 1 (scalar leaves are free) and the selection below a list multiplies by the page
 * it asks for (`first`/`last`, default 20, for connections and plain lists; a connection's
 * `edges` are not counted twice).
 * Introspection (`__schema`, `__type`) counts too: its aliases, root fields and directives as
 * anywhere, and a cost estimated from this schema's real sizes (each object it yields costs 1;
 * a list multiplies by the average number of entries per parent, `ofType` chains stop at the
 * schema's deepest type reference). Its nesting is bounded by graphql-js's
 * MaxIntrospectionDepthRule, so it adds no depth.
 */
export function measureOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  /** Set `variables` when the measure depends on the variables (a page size given by one). */
  reads?: { variables: boolean },
): OperationMeasure {
  const m: OperationMeasure = {
    depth: 0,
    aliases: 0,
    rootFields: 0,
    directives: 0,
    cost: 0,
    introspectionCost: 0,
  };
  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  if (!root) return m;
  // A variable the client does not send takes its default (`$n: Int = 200`).
  const vars = { ...variables };
  for (const d of operation.variableDefinitions ?? []) {
    const name = d.variable.name.value;
    if (vars[name] === undefined && d.defaultValue) vars[name] = valueOf(d.defaultValue, {});
  }

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
        if (name.startsWith('__')) {
          if (sel.alias) m.aliases++;
          if (depth === 1 && name !== '__typename') m.rootFields++;
          if (name === '__schema' || name === '__type') {
            const c = introspect(sel, name === '__schema' ? '__Schema' : '__Type', 0);
            m.introspectionCost += c;
            cost += c;
          }
          continue;
        }
        if (sel.alias) m.aliases++;
        if (depth === 1) m.rootFields++;
        m.depth = Math.max(m.depth, depth);
        const field: GraphQLField<unknown, unknown> | undefined =
          isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
        let child = 0;
        if (sel.selectionSet && field) child = visit(sel.selectionSet, field.type, depth + 1, seen);
        let multiplier = 1;
        if (field) {
          const size = pageSize(sel, vars, reads);
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
  /**
   * Objects an introspection selection yields: `node` resolves to `typeName` (an introspection
   * type); `links` counts the `ofType` steps taken so far.
   */
  const introspect = (node: FieldNode, typeName: string, links: number): number => {
    let cost = 1;
    const each = (set: SelectionSetNode, seen: Set<string>) => {
      for (const sel of set.selections) {
        m.directives += sel.directives?.length ?? 0;
        if (sel.kind === Kind.INLINE_FRAGMENT) {
          each(sel.selectionSet, seen);
          continue;
        }
        if (sel.kind === Kind.FRAGMENT_SPREAD) {
          const frag = fragments[sel.name.value];
          if (!frag || seen.has(frag.name.value)) continue;
          seen.add(frag.name.value);
          each(frag.selectionSet, seen);
          seen.delete(frag.name.value);
          continue;
        }
        if (sel.alias) m.aliases++;
        if (!sel.selectionSet) continue;
        const field = (schema.getType(typeName) as GraphQLObjectType | undefined)?.getFields()[
          sel.name.value
        ];
        if (!field) continue;
        const child = getNamedType(field.type).name;
        const ofType = sel.name.value === 'ofType';
        // A reference has at most `wrapping` links: deeper `ofType` selections are null.
        if (ofType && links >= sizes().wrapping) continue;
        const n = isListType(getNullableType(field.type))
          ? introspectionListSize(sizes(), typeName, sel.name.value)
          : 1;
        cost += n * introspect(sel, child, ofType ? links + 1 : 0);
      }
    };
    if (node.selectionSet) each(node.selectionSet, new Set());
    return cost;
  };
  let known: SchemaSizes | undefined;
  const sizes = () => (known ??= schemaSizes(schema));
  m.directives += operation.directives?.length ?? 0;
  m.cost = Math.ceil(visit(operation.selectionSet, root, 1, new Set()));
  m.introspectionCost = Math.ceil(m.introspectionCost);
  return m;
}

/**
 * Throws BAD_USER_INPUT when a measured operation exceeds one of the limits. The cost of data
 * is held to `limits.cost`; introspection to `introspectionLimit` (see
 * `introspectionAllowance`: one full introspection fits whatever the schema's size).
 */
export function checkLimits(
  m: OperationMeasure,
  limits: OperationLimits,
  introspectionLimit: number = limits.cost,
): void {
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
  const data = m.cost - m.introspectionCost;
  if (data > limits.cost) throw reject(`Query cost ${data} exceeds the limit of ${limits.cost}`);
  if (m.introspectionCost > introspectionLimit) {
    throw reject(
      `Introspection cost ${m.introspectionCost} exceeds the limit of ${introspectionLimit} (one full introspection of the schema)`,
    );
  }
}

/** The fragment definitions of a document, by name. */
export function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  const out: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) out[d.name.value] = d;
  return out;
}

/** Operations measured (walked) by `measureRequest` so far in this process (tests read it). */
export const measureStats = { walks: 0 };

/**
 * Measures of operations that no variable changes, kept with the operation's node: a document
 * is parsed once and kept by Apollo Server's document store, so the same operation sent again
 * is the same node and its measure is looked up, not walked again. A measure a variable changes
 * (a page size given by one) is taken per request.
 */
const constantMeasures = new WeakMap<
  OperationDefinitionNode,
  { schema: GraphQLSchema; measure: Readonly<OperationMeasure> }
>();

/** `measureOperation` for a request's operation, looked up when no variable can change it. */
export function measureRequest(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  document: DocumentNode,
  variables: Record<string, unknown>,
): Readonly<OperationMeasure> {
  const known = constantMeasures.get(operation);
  if (known?.schema === schema) return known.measure;
  const reads = { variables: false };
  measureStats.walks++;
  const measure = measureOperation(schema, operation, fragmentsOf(document), variables, reads);
  if (!reads.variables)
    constantMeasures.set(operation, { schema, measure: Object.freeze(measure) });
  return measure;
}

/** Rejects operations over the limits with BAD_USER_INPUT, before any subgraph is called. */
export function operationLimitsPlugin(
  limits: OperationLimits,
  onMeasured?: (
    rc: GraphQLRequestContext<any>,
    m: Readonly<OperationMeasure>,
  ) => Promise<void> | void,
): ApolloServerPlugin<any> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          if (!rc.operation) return;
          const m = measureRequest(
            rc.schema,
            rc.operation,
            rc.document,
            (rc.request.variables ?? {}) as Record<string, unknown>,
          );
          checkLimits(m, limits, introspectionAllowance(rc.schema, limits));
          await onMeasured?.(rc, m);
        },
      };
    },
  };
}
