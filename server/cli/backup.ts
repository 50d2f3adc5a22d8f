import { copyFileSync, chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { BLOCK_KEY_FILE, type Env } from '../../lib/env.js';
import { SUBGRAPH_NAMES } from '../../gateway/src/transport.js';
import { databaseFor } from '../services.js';
import { UsageError } from './usage.js';

/**
 * `flowplane backup <dir>`: copies every embedded SQLite file with SQLite's online backup API
 * (a consistent copy while the server keeps writing), and the generated block key next to them
 * (without it the secret block fields of the copy are unreadable). PostgreSQL deployments back
 * up with pg_dump.
 */
export async function backupCommand(env: Env, args: string[]): Promise<number> {
  const [dir] = args;
  if (!dir) throw new UsageError('backup: give the folder to write the copy to');
  if (env.DATABASE_URL)
    throw new UsageError(
      'backup copies the embedded SQLite files; back PostgreSQL up with pg_dump',
    );
  if (existsSync(dir) && readdirSync(dir).length)
    throw new UsageError(`backup: ${dir} is not empty (a backup never overwrites files)`);
  mkdirSync(dir, { recursive: true });
  let copied = 0;
  for (const name of SUBGRAPH_NAMES) {
    const db = databaseFor(env, name);
    if (db.kind !== 'sqlite' || !existsSync(db.path)) continue;
    const source = new Database(db.path, { readonly: true, fileMustExist: true });
    try {
      const target = join(dir, basename(db.path));
      const { totalPages } = await source.backup(target);
      chmodSync(target, 0o600);
      console.log(`${name}: ${db.path} → ${target} (${totalPages} pages)`);
      copied++;
    } finally {
      source.close();
    }
  }
  if (!copied) {
    console.error(`No SQLite files in ${env.DATA_DIR}: nothing to back up`);
    return 1;
  }
  const keyFile = join(env.DATA_DIR, BLOCK_KEY_FILE);
  if (existsSync(keyFile)) {
    const target = join(dir, BLOCK_KEY_FILE);
    copyFileSync(keyFile, target);
    chmodSync(target, 0o600);
    console.log(`block key: ${keyFile} → ${target} (secret: keep the backup private)`);
  } else if (env.blockKey) {
    console.log(
      'block key: BLOCK_ENCRYPTION_KEY is set in the environment; keep it with this backup',
    );
  }
  return 0;
}
