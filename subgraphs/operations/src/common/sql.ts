import type { Knex } from '@mikro-orm/knex';
import type { Em } from '../../../../lib/orm.js';

export const isPg = (em: Em): boolean => em.config.get('driver')?.name === 'PostgreSqlDriver';

/** `column` (a JSON array of strings) contains every one of `values`, in either dialect. */
export function whereJsonArrayContains(
  em: Em,
  qb: Knex.QueryBuilder,
  column: string,
  values: string[],
): void {
  if (!values.length) return;
  if (isPg(em)) qb.whereRaw(`${column}::jsonb @> ?::jsonb`, [JSON.stringify(values)]);
  else
    for (const v of values)
      qb.whereRaw(`exists (select 1 from json_each(${column}) as t where t.value = ?)`, [v]);
}

/** A LIKE pattern matching `text` literally (its wildcards escaped with a backslash). */
export const likeLiteral = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);
