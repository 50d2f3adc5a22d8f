import { defineModule } from '../../../../lib/module.js';
import type { WorkspacesContext } from '../context.js';
import { SsoMembershipResolver } from './sso.resolver.js';

/** Memberships made by single sign-on. */
export const ssoModule = defineModule<WorkspacesContext>({
  name: 'sso',
  layer: 'core',
  resolvers: [SsoMembershipResolver],
});
