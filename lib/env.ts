import { randomBytes } from 'node:crypto';
import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_SCHEMA_PREFIX: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,40}$/, 'lower-case letters, digits and _')
    .default('flowplane_'),
  REDIS_URL: z.string().url().optional(),
  REDIS_PREFIX: z.string().min(1).default('flowplane'),
  INTERNAL_TOKEN_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  INTERNAL_TOKEN_TTL_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  USERS_URL: z.string().url().optional(),
  WORKSPACES_URL: z.string().url().optional(),
  ACCESS_URL: z.string().url().optional(),
  OPERATIONS_URL: z.string().url().optional(),
  SESSION_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24 * 14),
  GRANTS_CACHE_TTL_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  INTROSPECTION: bool.optional(),
  OUTBOX_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  BACKGROUND_SERVICES: bool.default(true),
});

export type Env = z.infer<typeof schema> & { internalTokenSecret: string };

/**
 * The one place that reads `process.env`. A bad value stops start-up with a message naming
 * the variable.
 */
export function loadEnv(
  source: NodeJS.ProcessEnv = process.env,
  opts: { requireSecret?: boolean } = {},
): Env {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  if (opts.requireSecret && !env.INTERNAL_TOKEN_SECRET) {
    throw new Error(
      'Invalid configuration:\n  INTERNAL_TOKEN_SECRET: required when services run as separate processes (the gateway and every subgraph must share it)',
    );
  }
  // Embedded mode: gateway and subgraphs share one process, so a per-process secret is enough.
  return {
    ...env,
    internalTokenSecret: env.INTERNAL_TOKEN_SECRET ?? randomBytes(32).toString('hex'),
  };
}
