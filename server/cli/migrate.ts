import type { Env } from '../../lib/env.js';
import { lockDatabases } from '../services.js';
import { databaseFor } from '../services.js';
import { describeDatabase, openDatabase, subgraphNames } from './databases.js';

/** `flowplane migrate [subgraph…]`: applies pending migrations, serves nothing. */
export async function migrateCommand(env: Env, args: string[]): Promise<number> {
  const names = subgraphNames(args);
  const locks = lockDatabases(names.map((n) => databaseFor(env, n)));
  try {
    for (const name of names) {
      const orm = await openDatabase(env, name, false);
      try {
        const pending = await orm.getMigrator().getPendingMigrations();
        await orm.getMigrator().up();
        const where = describeDatabase(databaseFor(env, name));
        console.log(
          pending.length
            ? `${name}: applied ${pending.length} migration(s) to ${where}: ${pending.map((m) => m.name).join(', ')}`
            : `${name}: ${where} is up to date`,
        );
      } finally {
        await orm.close(true);
      }
    }
  } finally {
    for (const l of locks) l.release();
  }
  return 0;
}
