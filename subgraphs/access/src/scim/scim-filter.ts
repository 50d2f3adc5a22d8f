/**
 * SCIM filters (RFC 7644 §3.4.2.2) turned into SQL over the indexed columns of SCIM users and
 * groups: `eq ne co sw ew pr gt ge lt le`, `and`, `or`, `not`, parentheses, on userName,
 * emails(.value), externalId, displayName, id, active and meta.created/lastModified. Values are
 * bound parameters; LIKE patterns escape their wildcards.
 */

export class ScimFilterError extends Error {}

type Token = { t: 'word'; v: string } | { t: 'string'; v: string } | { t: '(' } | { t: ')' };

function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ t: c });
      i++;
    } else if (c === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= input.length) throw new ScimFilterError('An unterminated string');
        const d = input[i]!;
        if (d === '\\') {
          const n = input[i + 1];
          if (n === undefined) throw new ScimFilterError('An unterminated string');
          v += n === 'n' ? '\n' : n === 't' ? '\t' : n;
          i += 2;
        } else if (d === '"') {
          i++;
          break;
        } else {
          v += d;
          i++;
        }
      }
      out.push({ t: 'string', v });
    } else {
      const m = /^[A-Za-z0-9_.:$\-[\]]+/.exec(input.slice(i));
      if (!m) throw new ScimFilterError(`Unexpected character "${c}"`);
      out.push({ t: 'word', v: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

export type Comparison = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; inner: FilterNode }
  | { kind: 'pr'; attr: string }
  | { kind: 'cmp'; attr: string; op: Comparison; value: string | number | boolean | null };

const COMPARISONS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);

/** Parses a filter (at most 1000 characters and 50 comparisons). */
export function parseFilter(input: string): FilterNode {
  if (input.length > 1000) throw new ScimFilterError('The filter is too long');
  const tokens = tokenize(input);
  let pos = 0;
  let comparisons = 0;
  const peekWord = () => {
    const t = tokens[pos];
    return t?.t === 'word' ? t.v.toLowerCase() : undefined;
  };
  const or = (): FilterNode => {
    let left = and();
    while (peekWord() === 'or') {
      pos++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const and = (): FilterNode => {
    let left = unary();
    while (peekWord() === 'and') {
      pos++;
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  const unary = (): FilterNode => {
    if (peekWord() === 'not') {
      pos++;
      if (tokens[pos]?.t !== '(') throw new ScimFilterError('"not" takes a parenthesised filter');
      return { kind: 'not', inner: unary() };
    }
    const t = tokens[pos];
    if (t?.t === '(') {
      pos++;
      const inner = or();
      if (tokens[pos]?.t !== ')') throw new ScimFilterError('A missing ")"');
      pos++;
      return inner;
    }
    if (t?.t !== 'word') throw new ScimFilterError('An attribute was expected');
    pos++;
    if (++comparisons > 50) throw new ScimFilterError('Too many comparisons');
    const op = peekWord();
    if (op === 'pr') {
      pos++;
      return { kind: 'pr', attr: t.v };
    }
    if (!op || !COMPARISONS.has(op)) throw new ScimFilterError(`Unknown operator after ${t.v}`);
    pos++;
    const v = tokens[pos++];
    if (!v) throw new ScimFilterError(`A value was expected after ${op}`);
    let value: string | number | boolean | null;
    if (v.t === 'string') value = v.v;
    else if (v.t === 'word' && /^(true|false)$/i.test(v.v)) value = v.v.toLowerCase() === 'true';
    else if (v.t === 'word' && v.v.toLowerCase() === 'null') value = null;
    else if (v.t === 'word' && /^-?\d+(\.\d+)?$/.test(v.v)) value = Number(v.v);
    else throw new ScimFilterError(`A value was expected after ${op}`);
    return { kind: 'cmp', attr: t.v, op: op as Comparison, value };
  };
  const node = or();
  if (pos !== tokens.length) throw new ScimFilterError('Unexpected text after the filter');
  return node;
}

/** How one SCIM attribute is stored: a column, its kind, and whether it compares case-blind. */
export interface ColumnSpec {
  column: string;
  kind: 'string' | 'boolean' | 'date' | 'list';
  /** Stored lower-case: values are lowered before comparing. */
  caseInsensitive?: boolean;
}

const escapeLike = (v: string) => v.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * SQL for a filter over `columns` (attribute paths lower-cased, with the resource's schema URN
 * prefix removed), with its parameters. A `list` column holds "\n"-separated values with a "\n"
 * before and after each (emails), so `eq` and `sw` match whole values.
 */
export function filterToSql(
  node: FilterNode,
  columns: Record<string, ColumnSpec>,
  schemaUrn: string,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const spec = (attr: string): ColumnSpec => {
    let a = attr.toLowerCase();
    const urn = `${schemaUrn.toLowerCase()}:`;
    if (a.startsWith(urn)) a = a.slice(urn.length);
    const s = columns[a];
    if (!s) throw new ScimFilterError(`Filtering on ${attr} is not supported`);
    return s;
  };
  const walk = (n: FilterNode): string => {
    switch (n.kind) {
      case 'and':
      case 'or':
        return `(${walk(n.left)} ${n.kind} ${walk(n.right)})`;
      case 'not':
        return `(not ${walk(n.inner)})`;
      case 'pr': {
        const s = spec(n.attr);
        return s.kind === 'string' || s.kind === 'list'
          ? `(${s.column} is not null and ${s.column} <> '')`
          : `(${s.column} is not null)`;
      }
      case 'cmp':
        return compare(spec(n.attr), n.op, n.value);
    }
  };
  const compare = (
    s: ColumnSpec,
    op: Comparison,
    raw: string | number | boolean | null,
  ): string => {
    if (raw === null) {
      if (op === 'eq') return `(${s.column} is null)`;
      if (op === 'ne') return `(${s.column} is not null)`;
      throw new ScimFilterError(`${op} null is not a comparison`);
    }
    if (s.kind === 'boolean') {
      if (typeof raw !== 'boolean' || (op !== 'eq' && op !== 'ne'))
        throw new ScimFilterError('A boolean attribute compares with eq or ne and true or false');
      params.push(raw);
      return `(${s.column} ${op === 'eq' ? '=' : '<>'} ?)`;
    }
    if (s.kind === 'date') {
      const d = new Date(String(raw));
      if (Number.isNaN(d.getTime())) throw new ScimFilterError('Not a date-time');
      const sqlOp = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' }[op as string];
      if (!sqlOp) throw new ScimFilterError(`${op} does not apply to a date-time`);
      params.push(d);
      return `(${s.column} ${sqlOp} ?)`;
    }
    if (typeof raw !== 'string')
      throw new ScimFilterError('A string attribute compares with a string');
    const v = s.caseInsensitive ? raw.toLowerCase() : raw;
    if (s.kind === 'list') {
      const pattern = {
        eq: `%\n${escapeLike(v)}\n%`,
        ne: `%\n${escapeLike(v)}\n%`,
        co: `%${escapeLike(v)}%`,
        sw: `%\n${escapeLike(v)}%`,
        ew: `%${escapeLike(v)}\n%`,
      }[op as string];
      if (!pattern) throw new ScimFilterError(`${op} does not apply to a multi-valued attribute`);
      params.push(pattern);
      return op === 'ne'
        ? `(${s.column} is null or ${s.column} not like ? escape '\\')`
        : `(${s.column} like ? escape '\\')`;
    }
    switch (op) {
      case 'eq':
        params.push(v);
        return `(${s.column} = ?)`;
      case 'ne':
        params.push(v);
        return `(${s.column} is null or ${s.column} <> ?)`;
      case 'co':
      case 'sw':
      case 'ew':
        params.push(
          op === 'co'
            ? `%${escapeLike(v)}%`
            : op === 'sw'
              ? `${escapeLike(v)}%`
              : `%${escapeLike(v)}`,
        );
        return `(${s.column} like ? escape '\\')`;
      default:
        params.push(v);
        return `(${s.column} ${{ gt: '>', ge: '>=', lt: '<', le: '<=' }[op]} ?)`;
    }
  };
  return { sql: walk(node), params };
}
