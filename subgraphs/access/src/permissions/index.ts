import { defineModule } from '../../../../lib/module.js';
import type { AccessContext } from '../context.js';
import {
  AccountPermissionsResolver,
  PermissionResolver,
  WorkspacePermissionsResolver,
} from './permission.resolver.js';

/** The permission catalogue and the caller's permissions (and the rule for handing them out). */
export const permissionsModule = defineModule<AccessContext>({
  name: 'permissions',
  layer: 'core',
  resolvers: [PermissionResolver, AccountPermissionsResolver, WorkspacePermissionsResolver],
});
