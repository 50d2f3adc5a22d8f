import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { lateRunsService, pauseExpiryService, workerLivenessService } from './run-services.js';
import { schedulerService } from './scheduler.js';

/** The background services of runs: scheduler, late runs, worker liveness, pause expiry. */
export const runServicesModule = defineModule<OperationsContext>({
  name: 'run-services',
  layer: 'core',
  jobs: (sub) => [
    schedulerService(sub),
    lateRunsService(sub),
    workerLivenessService(sub),
    pauseExpiryService(sub),
  ],
});
