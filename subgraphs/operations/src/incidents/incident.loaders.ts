import DataLoader from 'dataloader';
import { isUuid } from '../../../../lib/db.js';
import type { Em } from '../../../../lib/orm.js';
import { BlockDocument } from '../blocks/block-document.entity.js';
import { Incident, IncidentResourceRow } from './incident.entity.js';

/** Per-request loaders of the incidents domain (unfiltered: callers authorize first). */
export function incidentLoaders(em: Em) {
  return {
    incidentById: new DataLoader<string, Incident | null>(async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = valid.length ? await em.find(Incident, { id: { $in: valid } }) : [];
      const map = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => map.get(id) ?? null);
    }),
    incidentResourcesByIncidentId: new DataLoader<string, IncidentResourceRow[]>(async (ids) => {
      const rows = await em.find(
        IncidentResourceRow,
        { incidentId: { $in: ids.filter(isUuid) } },
        { orderBy: { incidentId: 'asc', position: 'asc' } },
      );
      return ids.map((id) => rows.filter((r) => r.incidentId === id));
    }),
    blockDocumentById: new DataLoader<string, BlockDocument | null>(async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = valid.length ? await em.find(BlockDocument, { id: { $in: valid } }) : [];
      const map = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => map.get(id) ?? null);
    }),
  };
}
