import type { Em } from '../../../../lib/orm.js';
import { isPostgres } from '../../../../lib/db.js';

/**
 * Ids of a workspace's rows of `table` whose JSON `tags` column holds every one of `tags`, as a
 * subquery (tag containment needs dialect SQL that MikroORM filters lack).
 */
export function withAllTags(em: Em, table: string, workspaceId: string, tags: string[]) {
  const qb = em.getKnex()(`${table} as tg`).select('tg.id').where('tg.workspace_id', workspaceId);
  if (isPostgres(em)) {
    qb.whereRaw('tg.tags::jsonb @> ?::jsonb', [JSON.stringify(tags)]);
  } else {
    for (const tag of tags) {
      qb.whereRaw('exists (select 1 from json_each(tg.tags) as t where t.value = ?)', [tag]);
    }
  }
  return qb;
}
