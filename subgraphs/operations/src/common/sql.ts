import type { Knex } from '@mikro-orm/knex';
import { isPostgres } from '../../../../lib/db.js';
import type { Em } from '../../../../lib/orm.js';

/** `column` (a JSON array of strings) contains every one of `values`, in either dialect. */
export function whereJsonArrayContains(
  em: Em,
  qb: Knex.QueryBuilder,
  column: string,
  values: string[],
): void {
  if (!values.length) return;
  if (isPostgres(em)) qb.whereRaw(`${column}::jsonb @> ?::jsonb`, [JSON.stringify(values)]);
  else
    for (const v of values)
      qb.whereRaw(`exists (select 1 from json_each(${column}) as t where t.value = ?)`, [v]);
}

/** A LIKE pattern matching `text` literally (its wildcards escaped with a backslash). */
export const likeLiteral = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);
