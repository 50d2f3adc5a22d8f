import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { BLOCK_KEY_FILE, loadEnv, parseKey, type Env } from '../../lib/env.js';
import { DataDirInUse, lockDataFile } from '../../lib/data-lock.js';
import { SUBGRAPH_NAMES } from '../../gateway/src/transport.js';
import { BlockCrypto } from '../../subgraphs/operations/src/blocks/block-crypto.js';
import { BlockDocument } from '../../subgraphs/operations/src/blocks/block-document.entity.js';
import { databaseFor } from '../services.js';
import { describeDatabase, missingSqlite, openDatabase } from './databases.js';
import { readFileSync } from 'node:fs';

type Status = 'ok' | 'warn' | 'FAIL';

/**
 * `flowplane doctor`: checks what a start needs (configuration, every database and its
 * migrations, Redis, the keys) and prints one line per check. Exit 1 when a check failed.
 * It reads, never writes: a database that was never created is reported, not created.
 */
export async function doctorCommand(source: NodeJS.ProcessEnv): Promise<number> {
  let failed = 0;
  const report = (status: Status, what: string, detail: string) => {
    if (status === 'FAIL') failed++;
    console.log(`${status.padEnd(4)} ${what}: ${detail}`);
  };
  let env: Env;
  try {
    env = loadEnv(source);
  } catch (err) {
    report('FAIL', 'configuration', (err as Error).message.replace(/\n\s*/g, ' '));
    return 1;
  }
  report(
    'ok',
    'configuration',
    `${env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `embedded SQLite in ${env.DATA_DIR}`}, ` +
      `${env.REDIS_URL ? 'Redis bus' : 'in-process bus'}, NODE_ENV=${env.NODE_ENV}`,
  );
  const scaled = Boolean(env.DATABASE_URL || env.REDIS_URL);
  if (!env.INTERNAL_TOKEN_SECRET)
    report(
      scaled ? 'warn' : 'ok',
      'INTERNAL_TOKEN_SECRET',
      scaled
        ? 'not set: fine for one `serve all` process; separate processes must share one'
        : 'not set (one process generates its own)',
    );
  else report('ok', 'INTERNAL_TOKEN_SECRET', 'set');

  const key = blockKeyFor(env, report);
  for (const name of SUBGRAPH_NAMES) {
    const db = databaseFor(env, name);
    const where = describeDatabase(db);
    if (missingSqlite(db)) {
      report(
        'warn',
        `database ${name}`,
        `${where} does not exist yet (created by the first start)`,
      );
      continue;
    }
    if (db.kind === 'sqlite') {
      try {
        lockDataFile(db.path).release();
      } catch (err) {
        if (!(err instanceof DataDirInUse)) throw err;
        report('ok', `process ${name}`, `a running Flowplane process holds ${db.path}`);
      }
    }
    try {
      const orm = await openDatabase(env, name, false);
      try {
        const pending = await orm.getMigrator().getPendingMigrations();
        report(
          'ok',
          `database ${name}`,
          `${where} reachable; ${pending.length ? `${pending.length} migration(s) pending (applied on start or by \`flowplane migrate\`)` : 'migrations up to date'}`,
        );
        if (name === 'operations' && !pending.length) await checkBlockKey(orm, key, report);
      } finally {
        await orm.close(true);
      }
    } catch (err) {
      report('FAIL', `database ${name}`, `${where}: ${(err as Error).message}`);
    }
  }

  if (env.REDIS_URL) {
    const redis = new Redis(env.REDIS_URL, {
      lazyConnect: true,
      connectTimeout: 2000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      report('ok', 'redis', `${await redis.ping()} from ${redactUrl(env.REDIS_URL)}`);
    } catch (err) {
      report('FAIL', 'redis', `${redactUrl(env.REDIS_URL)}: ${(err as Error).message}`);
    } finally {
      redis.disconnect();
    }
  } else report('ok', 'redis', 'not configured (in-process bus: one process only)');

  console.log(failed ? `${failed} check(s) failed` : 'all checks passed');
  return failed ? 1 : 0;
}

/** The block key in force, reported without ever printing it. */
function blockKeyFor(
  env: Env,
  report: (s: Status, what: string, detail: string) => void,
): Buffer | undefined {
  if (env.blockKey) {
    report('ok', 'BLOCK_ENCRYPTION_KEY', 'set');
    return env.blockKey;
  }
  if (env.DATABASE_URL || env.NODE_ENV === 'production') {
    report('FAIL', 'BLOCK_ENCRYPTION_KEY', 'required with DATABASE_URL and in production');
    return undefined;
  }
  const file = join(env.DATA_DIR, BLOCK_KEY_FILE);
  if (!existsSync(file)) {
    report('ok', 'BLOCK_ENCRYPTION_KEY', `not set; the first start generates ${file}`);
    return undefined;
  }
  const key = parseKey(readFileSync(file, 'utf8'));
  if (!key) report('FAIL', 'BLOCK_ENCRYPTION_KEY', `${file} does not hold a 32-byte key`);
  else report('ok', 'BLOCK_ENCRYPTION_KEY', `not set; using ${file} (back it up with the data)`);
  return key ?? undefined;
}

/** Decrypts one stored secret: a key that does not match the data is found before a request. */
async function checkBlockKey(
  orm: Awaited<ReturnType<typeof openDatabase>>,
  key: Buffer | undefined,
  report: (s: Status, what: string, detail: string) => void,
): Promise<void> {
  const doc = await orm.em
    .fork()
    .findOne(BlockDocument, { secretValues: { $ne: null } }, { orderBy: { createdAt: 'desc' } });
  if (!doc) return;
  if (!key) return report('FAIL', 'block secrets', 'secret block fields are stored but no key');
  try {
    new BlockCrypto(key).decrypt(doc.secretValues!, doc.id);
    report('ok', 'block secrets', 'the key decrypts the stored secret block fields');
  } catch {
    report('FAIL', 'block secrets', 'the key does not decrypt the stored secret block fields');
  }
}

function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
