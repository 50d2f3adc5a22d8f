import { isPostgres } from '../../lib/db.js';
import type { Orm } from '../../lib/orm.js';

/** Every row of every table of a subgraph, as one string: for "never stored" assertions. */
export async function dumpTables(orm: Orm): Promise<string> {
  const conn = orm.em.getConnection();
  const pg = isPostgres(orm);
  const tables: { name: string }[] = pg
    ? await conn.execute(
        `select table_name as name from information_schema.tables where table_schema = current_schema()`,
      )
    : await conn.execute(`select name from sqlite_master where type = 'table'`);
  const parts: string[] = [];
  for (const { name } of tables) {
    parts.push(JSON.stringify(await conn.execute(`select * from "${name}"`)));
  }
  return parts.join('\n');
}
