import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { ActivityPause } from './activity-pause.entity.js';
import { Incident, IncidentResourceRow } from './incident.entity.js';
import { incidentLoaders } from './incident.loaders.js';
import {
  IncidentActorResolver,
  IncidentChangeResolver,
  IncidentResolver,
  IncidentResourceResolver,
  WorkspaceIncidentsResolver,
} from './incident.resolver.js';

/** Incidents and the activity they hold paused. */
export const incidentsModule = defineModule<OperationsContext>({
  name: 'incidents',
  layer: 'reactive',
  resolvers: [
    IncidentResolver,
    IncidentChangeResolver,
    IncidentResourceResolver,
    IncidentActorResolver,
    WorkspaceIncidentsResolver,
  ],
  entities: [Incident, IncidentResourceRow, ActivityPause],
  loaders: ({ em }) => incidentLoaders(em),
});
