/**
 * The database's own ceiling, measured in the same run as the benchmark it scales:
 * `pgbench -N` (simple updates: three UPDATEs, a SELECT and an INSERT per transaction) against
 * the PostgreSQL of DATABASE_URL, in a scratch database created and dropped around it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { procStat } from './load.js';

const run = promisify(execFile);

/** pgbench `-N -c clients -T seconds` at scale 1: transactions per second. */
export async function pgbenchTps(url: string, clients = 4, seconds = 10): Promise<number> {
  const db = `fp_pgbench_${randomBytes(3).toString('hex')}`;
  const u = new URL(url);
  const conn = ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username)];
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(u.password) };
  await run('createdb', [...conn, db], { env });
  try {
    await run('pgbench', [...conn, '-i', '-s', '1', '-q', db], { env });
    const { stdout } = await run(
      'pgbench',
      [...conn, '-N', '-c', String(clients), '-j', '2', '-T', String(seconds), db],
      { env },
    );
    const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
    if (!m) throw new Error(`pgbench printed no TPS:\n${stdout}`);
    return Number(m[1]);
  } finally {
    await run('dropdb', ['--force', ...conn, db], { env });
  }
}

/**
 * The PostgreSQL server's main process (the parent of a backend), when it runs on this machine:
 * its process tree's CPU (every backend and background process) is what the database spent.
 * Null when /proc does not show it (a remote server).
 */
export async function postmasterPid(url: string): Promise<number | null> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    return procStat(rows[0]!.pid).ppid;
  } catch {
    return null;
  } finally {
    await client.end();
  }
}
