import { loadEnv, type Env } from '../../lib/env.js';
import { DataDirInUse } from '../../lib/data-lock.js';
import { SUBGRAPH_NAMES, type SubgraphName } from '../../gateway/src/transport.js';
import { USAGE, UsageError } from './usage.js';

type ServeTarget = 'all' | 'gateway' | SubgraphName;

/** Checks `serve <target>` before any configuration is read (a typo is a usage error). */
function serveTarget(target: string | undefined): ServeTarget {
  const t = target ?? 'all';
  if (t === 'all' || t === 'gateway' || (SUBGRAPH_NAMES as string[]).includes(t))
    return t as ServeTarget;
  throw new UsageError(`Unknown service "${t}" for serve`);
}

/**
 * The operator CLI. Each command's module is loaded only when it runs (`--help` and usage
 * errors answer without loading the server). Returns the exit code, or null while `serve` runs. Errors are printed as
 * one message, never as a stack trace: 2 for a command line or configuration that cannot run,
 * 1 for a failure while running.
 */
export async function runCli(argv: string[], source: NodeJS.ProcessEnv): Promise<number | null> {
  const [command, ...args] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  try {
    switch (command) {
      case 'serve': {
        const target = serveTarget(args[0]?.startsWith('-') ? undefined : args[0]);
        const port = args.indexOf('--port');
        const env = config(
          { ...source, ...(port >= 0 ? { PORT: args[port + 1] } : {}) },
          {
            requireSecret: target !== 'all',
          },
        );
        (await import('../../lib/log.js')).setLogLevel(env.LOG_LEVEL);
        (await import('../../lib/tracing.js')).configureTracing({
          serviceName: env.OTEL_SERVICE_NAME ?? `flowplane-${target}`,
          otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
        });
        await (await import('./serve.js')).serveCommand(env, target);
        return null;
      }
      case 'migrate':
        return await (await import('./migrate.js')).migrateCommand(config(source), args);
      case 'doctor':
        return await (await import('./doctor.js')).doctorCommand(source);
      case 'audit':
        return await (await import('./audit.js')).auditCommand(config(source), args);
      case 'rotate-block-key':
        return await (await import('./rotate-block-key.js')).rotateBlockKeyCommand(config(source));
      case 'backup':
        return await (await import('./backup.js')).backupCommand(config(source), args);
      default:
        throw new UsageError(`Unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`flowplane: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof DataDirInUse) {
      console.error(`flowplane: ${err.message}`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    if (message.startsWith('Invalid configuration')) {
      console.error(`flowplane: ${message}`);
      return 2;
    }
    console.error(`flowplane ${command} failed: ${message}`);
    return 1;
  }
}

class ConfigError extends Error {}

function config(source: NodeJS.ProcessEnv, opts?: Parameters<typeof loadEnv>[1]): Env {
  try {
    return loadEnv(source, opts);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}
