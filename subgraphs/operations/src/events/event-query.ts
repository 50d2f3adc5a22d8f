/**
 * The event store's SQL: the conditions of `eventMatches` (lib/event-filter.ts) for stored
 * events, in both dialects, and the dialect details (how times are stored and truncated).
 * tests/operations/events-filter.test.ts checks that both agree.
 */
import type { Knex } from '@mikro-orm/knex';
import { dbTime, isPostgres } from '../../../../lib/db.js';
import type { EventFilterSpec } from '../../../../lib/event-filter.js';
import type { Em } from '../../../../lib/orm.js';

export { dbTime };

/** An expression giving a datetime column as epoch milliseconds (a number) in both dialects. */
export const epochMs = (em: Em, column: string): string =>
  isPostgres(em) ? `(extract(epoch from ${column}) * 1000)` : column;

/** The start of the bucket of `column`, in epoch milliseconds (UTC), `size` a trusted integer. */
export function bucketStartMs(em: Em, column: string, size: number): string {
  if (!Number.isInteger(size) || size <= 0) throw new Error('bucket size');
  return isPostgres(em)
    ? `(floor(extract(epoch from ${column}) * 1000 / ${size}) * ${size})`
    : `((${column} / ${size}) * ${size})`;
}

/** Reads a number the database gave back (PostgreSQL returns bigint and numeric as text). */
export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/** `startsWith` in SQL, case-sensitive and without LIKE wildcards in either dialect. */
function startsWithAny(qb: Knex.QueryBuilder, column: string, prefixes: string[]): void {
  qb.where((w) => {
    for (const p of prefixes) w.orWhereRaw(`substr(${column}, 1, ?) = ?`, [[...p].length, p]);
  });
}

/**
 * Adds the filter's conditions on the events aliased `a` (table `event`) to `qb`: the same
 * semantics as `eventMatches`, condition by condition. Empty lists add nothing; a label whose
 * list of values is empty matches nothing. The workspace is the caller's condition.
 */
export function whereEventMatches(
  em: Em,
  qb: Knex.QueryBuilder,
  a: string,
  f: EventFilterSpec,
): void {
  const pg = isPostgres(em);
  if (f.occurredAfter) qb.where(`${a}.occurred`, '>=', dbTime(em, new Date(f.occurredAfter)));
  if (f.occurredBefore) qb.where(`${a}.occurred`, '<', dbTime(em, new Date(f.occurredBefore)));
  if (f.names?.length) qb.whereIn(`${a}.name`, f.names);
  if (f.namePrefixes?.length) startsWithAny(qb, `${a}.name`, f.namePrefixes);
  if (f.resourceIds?.length) qb.whereIn(`${a}.resource_id`, f.resourceIds);
  if (f.resourceIdPrefixes?.length) startsWithAny(qb, `${a}.resource_id`, f.resourceIdPrefixes);
  for (const l of f.labels ?? []) {
    if (!l.values.length) {
      qb.whereRaw('1 = 0');
    } else if (l.name === 'flowplane.resource.id') {
      qb.whereIn(`${a}.resource_id`, l.values);
    } else if (pg) {
      const marks = l.values.map(() => '?').join(', ');
      qb.whereRaw(
        `jsonb_typeof(${a}.resource -> 'labels' -> ?) = 'string' and (${a}.resource -> 'labels' ->> ?) in (${marks})`,
        [l.name, l.name, ...l.values],
      );
    } else {
      const marks = l.values.map(() => '?').join(', ');
      qb.whereRaw(
        `exists (select 1 from json_each(${a}.resource, '$.labels') as lb where lb.key = ? and lb.type = 'text' and lb.value in (${marks}))`,
        [l.name, ...l.values],
      );
    }
  }
  if (f.relatedResourceIds?.length) {
    const ids = f.relatedResourceIds;
    qb.whereExists((sub) => {
      sub
        .select(em.getKnex().raw('1'))
        .from('event_related as er')
        .whereRaw(`er.workspace_id = ${a}.workspace_id and er.event_id = ${a}.id`)
        .whereIn('er.resource_id', ids);
    });
  }
}
