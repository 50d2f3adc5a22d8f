import type { BaseContext } from '../../../../lib/module.js';
import { byId } from '../../../../lib/loaders.js';
import { CustomRole } from './custom-role.entity.js';

/** Per-request loaders of the roles module. */
export function roleLoaders({ em }: BaseContext) {
  return {
    /** Custom roles by id, for fields of objects the caller already sees. */
    roleById: byId(em, CustomRole),
  };
}

type RoleLoaders = ReturnType<typeof roleLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AccessLoaders extends RoleLoaders {}
}
