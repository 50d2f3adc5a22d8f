import { defineModule } from '../../../../lib/module.js';
import type { AccessContext } from '../context.js';
import { CustomRole } from './custom-role.entity.js';
import { roleLoaders } from './role.loaders.js';
import { RoleResolver } from './role.resolver.js';

/** Built-in and custom roles. */
export const rolesModule = defineModule<AccessContext>({
  name: 'roles',
  layer: 'core',
  resolvers: [RoleResolver],
  entities: [CustomRole],
  loaders: roleLoaders,
});
