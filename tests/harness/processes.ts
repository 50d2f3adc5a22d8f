import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServiceProcess {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

/**
 * Starts `flowplane serve <name>` as its own OS process (`node <nodeArgs> --import tsx`, no tsx
 * launcher in between: the launcher gives its child 30 ms to acknowledge a relayed SIGTERM and
 * then kills it, which a loaded machine misses) and waits for its "listening" line.
 */
export function spawnService(
  name: string,
  env: Record<string, string>,
  unset: string[] = [],
  timeoutMs = 60_000,
  nodeArgs: string[] = [],
): Promise<ServiceProcess> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env };
  for (const k of unset) delete childEnv[k];
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', 'scripts/cli.ts', 'serve', name],
    {
      cwd: ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${output.join('')}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output.push(text);
      for (const line of text.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const msg = JSON.parse(line) as { msg?: string; port?: number };
          if (msg.msg === 'listening' && msg.port) {
            clearTimeout(timer);
            const port = msg.port;
            resolve({
              name,
              port,
              url: `http://127.0.0.1:${port}/graphql`,
              child,
              output,
              stop: () =>
                new Promise<void>((done) => {
                  if (child.exitCode !== null) return done();
                  child.once('exit', () => done());
                  child.kill('SIGTERM');
                  setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
                }),
            });
          }
        } catch {
          /* not a JSON line */
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${output.join('')}`));
    });
  });
}

export interface DistributedSubgraphs {
  /** The environment every process of this deployment shares (secret, Redis, storage). */
  env: Record<string, string>;
  /** Variables to drop from the child environment (DATABASE_URL when on SQLite). */
  unset: string[];
  processes: ServiceProcess[];
  /** USERS_URL, WORKSPACES_URL, ACCESS_URL, OPERATIONS_URL for `serve gateway`. */
  urls: Record<string, string>;
}

/**
 * The four subgraphs as separate processes sharing one secret, one Redis prefix and one
 * storage (SQLite files in `dir`, or PostgreSQL schemas under `schemaPrefix`).
 */
export async function spawnSubgraphs(opts: {
  dir: string;
  schemaPrefix: string;
  postgres: boolean;
  databaseUrl?: string;
  env?: Record<string, string>;
  /** How long each process may take to start (default 60 s; a loaded machine needs more). */
  timeoutMs?: number;
  /** Extra Node arguments of one subgraph's process (e.g. `--inspect` for a profile). */
  nodeArgs?: Partial<Record<'users' | 'workspaces' | 'access' | 'operations', string[]>>;
}): Promise<DistributedSubgraphs> {
  const env: Record<string, string> = {
    INTERNAL_TOKEN_SECRET: randomBytes(32).toString('hex'),
    // Every operations process needs the same key when it runs alone.
    BLOCK_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    // Every access process needs the same key when it runs alone.
    SSO_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    REDIS_URL: process.env.REDIS_URL!,
    REDIS_PREFIX: `fp-test-${randomBytes(6).toString('hex')}`,
    DATA_DIR: opts.dir,
    OUTBOX_POLL_MS: '200',
    NODE_ENV: 'test',
    ...opts.env,
  };
  const unset: string[] = [];
  if (opts.postgres) {
    env.DATABASE_URL = opts.databaseUrl!;
    env.DATABASE_SCHEMA_PREFIX = opts.schemaPrefix;
  } else unset.push('DATABASE_URL');
  const names = ['users', 'workspaces', 'access', 'operations'] as const;
  const started = await Promise.allSettled(
    names.map((n) => spawnService(n, env, unset, opts.timeoutMs, opts.nodeArgs?.[n] ?? [])),
  );
  const processes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    // Leave no process behind when one of them could not start.
    await Promise.all(processes.map((p) => p.stop()));
    throw failed.reason;
  }
  const urls = Object.fromEntries(
    names.map((n, i) => [`${n.toUpperCase()}_URL`, processes[i]!.url]),
  );
  return { env, unset, processes, urls };
}
