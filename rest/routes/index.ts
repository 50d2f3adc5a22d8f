import type { Route } from '../route.js';
import { accountRoutes } from './account.js';
import { artifactRoutes } from './artifacts.js';
import { automationRoutes } from './automations.js';
import { blockRoutes } from './blocks.js';
import { concurrencyRoutes } from './concurrency.js';
import { deploymentRoutes } from './deployments.js';
import { flowRunRoutes } from './flow-runs.js';
import { flowRoutes } from './flows.js';
import { logRoutes } from './logs.js';
import { serverRoutes } from './server.js';
import { taskRunRoutes } from './task-runs.js';
import { variableRoutes } from './variables.js';
import { workPoolRoutes } from './work-pools.js';

/** Every REST route: the router and /api/openapi.json are built from this one list. */
export const routes: readonly Route[] = [
  ...serverRoutes,
  ...accountRoutes,
  ...flowRoutes,
  ...flowRunRoutes,
  ...deploymentRoutes,
  ...workPoolRoutes,
  ...taskRunRoutes,
  ...logRoutes,
  ...blockRoutes,
  ...variableRoutes,
  ...artifactRoutes,
  ...concurrencyRoutes,
  ...automationRoutes,
];
