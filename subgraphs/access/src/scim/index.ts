import { defineModule } from '../../../../lib/module.js';
import type { AccessContext } from '../context.js';
import { ScimResolver } from './scim.resolver.js';
import { ScimGroup, ScimUser } from './scim.entity.js';

/** SCIM provisioning of an account's users and groups (teams), behind its SSO settings. */
export const scimModule = defineModule<AccessContext>({
  name: 'scim',
  layer: 'sso',
  resolvers: [ScimResolver],
  entities: [ScimUser, ScimGroup],
});
