import { defineSubgraph } from '../../../lib/module.js';
import type { OperationsContext } from './context.js';
// Imported in this order on purpose: type-graphql lists fields and types in the order their
// classes are evaluated, so this order keeps schema/ as it was (the list below is the layering).
import { deploymentsModule } from './deployments/index.js';
import { flowRunsModule } from './flow-runs/index.js';
import { flowsModule } from './flows/index.js';
import { migrations } from './migrations/index.js';
import { eventStoreModule } from './event-store/index.js';
import { eventsModule } from './events/index.js';
import { automationsModule } from './automations/index.js';
import { incidentsModule } from './incidents/index.js';
import { orchestrationModule } from './orchestration/index.js';
import { runServicesModule } from './services/index.js';
import { taskRunsModule } from './task-runs/index.js';
import { tenancyModule } from './tenancy/index.js';
import { blocksModule } from './blocks/index.js';
import { artifactsModule } from './artifacts/index.js';
import { objectAccessModule } from './object-access/index.js';
import { concurrencyLimitsModule } from './concurrency-limits/index.js';
import { logsModule } from './logs/index.js';
import { variablesModule } from './variables/index.js';
import { workPoolsModule } from './work-pools/index.js';
import { errorSummariesModule } from './error-summaries/index.js';
import { pushPoolsModule } from './push-pools/index.js';

/**
 * operations: flows, deployments, runs and their orchestration, work pools; events; automations
 * and incidents. One module per domain folder, lowest layer first: core, then events (reads
 * what core writes), then reactive (acts on events). `npm run layers` checks the imports.
 */
export const operationsSubgraph = defineSubgraph<OperationsContext>({
  name: 'operations',
  layers: ['core', 'events', 'reactive'],
  modules: [
    tenancyModule,
    flowsModule,
    variablesModule,
    blocksModule,
    logsModule,
    artifactsModule,
    concurrencyLimitsModule,
    objectAccessModule,
    orchestrationModule,
    eventStoreModule,
    deploymentsModule,
    flowRunsModule,
    taskRunsModule,
    workPoolsModule,
    runServicesModule,
    eventsModule,
    automationsModule,
    incidentsModule,
    errorSummariesModule,
    pushPoolsModule,
  ],
  migrations,
  // Every module entity with a workspaceId goes with its workspace; the flows module deletes
  // first what hangs off flows without one (schedules, task runs, run states).
  sweepDeletedWorkspaces: true,
});
