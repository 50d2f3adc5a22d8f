import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { AccountTeam, accountTeamConsumers } from './account-team.entity.js';
import { ObjectAccess } from './object-access.entity.js';
import { objectAccessLoaders } from './object-access.loaders.js';
import {
  BlockDocumentAccessResolver,
  DeploymentAccessResolver,
  ObjectAccessResolver,
  WorkPoolAccessResolver,
} from './object-access.resolver.js';

/** Access lists on deployments, work pools and block documents; the account teams they name. */
export const objectAccessModule = defineModule<OperationsContext>({
  name: 'object-access',
  layer: 'core',
  resolvers: [
    ObjectAccessResolver,
    BlockDocumentAccessResolver,
    DeploymentAccessResolver,
    WorkPoolAccessResolver,
  ],
  entities: [ObjectAccess, AccountTeam],
  loaders: objectAccessLoaders,
  consumers: accountTeamConsumers,
});
