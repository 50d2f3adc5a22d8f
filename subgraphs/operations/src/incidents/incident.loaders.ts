import { byId, groupedBy } from '../../../../lib/loaders.js';
import type { Em } from '../../../../lib/orm.js';
import { Automation } from '../automations/automation.entity.js';
import { BlockDocument } from '../blocks/block-document.entity.js';
import { Incident, IncidentResourceRow } from './incident.entity.js';

/** Per-request loaders of the incidents domain (unfiltered: callers authorize first). */
export function incidentLoaders(em: Em) {
  return {
    incidentById: byId(em, Incident),
    incidentResourcesByIncidentId: groupedBy(em, IncidentResourceRow, 'incidentId', {
      incidentId: 'asc',
      position: 'asc',
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
