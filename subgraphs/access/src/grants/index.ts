import { defineModule } from '../../../../lib/module.js';
import type { AccessContext } from '../context.js';
import { GrantsResolver } from './grants.resolver.js';

/** The grants the gateway computes for a principal, and why a caller holds a permission. */
export const grantsModule = defineModule<AccessContext>({
  name: 'grants',
  layer: 'core',
  resolvers: [GrantsResolver],
});
