import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** Raised when another process already serves the same SQLite file. */
export class DataDirInUse extends Error {}

/** A held lock; `release` lets another process take the file. */
export interface DataLock {
  readonly path: string;
  release(): void;
}

/**
 * One process per embedded SQLite file. A second process on the same file would split the
 * in-process bus (live events reach only one of them) and fight over SQLite's write lock
 * ("database is locked"). The lock is an exclusive SQLite lock on `<file>.lock`, held by an open
 * connection: the operating system drops it when the process ends, however it ends, so no stale
 * lock outlives a crash and nothing has to guess whether a recorded pid is still alive.
 */
export function lockDataFile(sqlitePath: string): DataLock {
  const path = `${sqlitePath}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('begin exclusive');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new DataDirInUse(
        `Another Flowplane process is using ${sqlitePath}. Stop it first (one process per DATA_DIR ` +
          'with the embedded SQLite storage). To run several processes, give every one of them ' +
          'PostgreSQL (DATABASE_URL) and Redis (REDIS_URL).',
      );
    }
    throw err;
  }
  return {
    path,
    release: () => {
      if (db.open) db.close();
    },
  };
}
