import DataLoader from 'dataloader';
import { isUuid } from '../../../../lib/db.js';
import type { Em } from '../../../../lib/orm.js';
import { Automation } from '../automations/automation.entity.js';
import { BlockDocument } from '../blocks/block-document.entity.js';
import { Incident, IncidentResourceRow } from './incident.entity.js';

function byId<T extends { id: string }>(em: Em, entity: new () => T) {
  return new DataLoader<string, T | null>(async (ids) => {
    const valid = ids.filter(isUuid);
    const rows = valid.length ? await em.find(entity, { id: { $in: valid } } as never) : [];
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/** Per-request loaders of the incidents domain (unfiltered: callers authorize first). */
export function incidentLoaders(em: Em) {
  return {
    incidentById: byId(em, Incident),
    incidentResourcesByIncidentId: new DataLoader<string, IncidentResourceRow[]>(async (ids) => {
      const rows = await em.find(
        IncidentResourceRow,
        { incidentId: { $in: ids.filter(isUuid) } },
        { orderBy: { incidentId: 'asc', position: 'asc' } },
      );
      return ids.map((id) => rows.filter((r) => r.incidentId === id));
    }),
    blockDocumentById: byId(em, BlockDocument),
    /** Automations that declared or changed incidents (`IncidentActor.automation`). */
    automationById: byId(em, Automation),
  };
}

type IncidentLoaders = ReturnType<typeof incidentLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface OperationsLoaders extends IncidentLoaders {}
}
