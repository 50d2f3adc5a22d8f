import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { log } from './log.js';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/**
 * Defaults that services also fall back on when they are started without a loaded Env (tests,
 * embedding): written once here, used by the schema below and by those services.
 */
export const SETTING_DEFAULTS = {
  sessionTtlHours: 24 * 14,
  signIn: {
    windowMs: 900 * 1000,
    maxFailures: 5,
    maxFailuresPerIp: 50,
    lockAfterFailures: 50,
    lockMs: 60 * 1000,
  },
  webhooks: {
    allowPrivateNetworks: false,
    allowedHosts: [] as string[],
    timeoutMs: 10_000,
    maxAttempts: 5,
    retryBaseMs: 30_000,
  },
} as const;

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
  BUS_GROUP_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(20),
  REDIS_STREAM_MAX_ENTRIES: z.coerce.number().int().min(1000).max(100_000_000).default(1_000_000),
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
    .default(SETTING_DEFAULTS.sessionTtlHours),
  GRANTS_CACHE_TTL_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  INTROSPECTION: bool.optional(),
  TRUST_PROXY: bool.default(false),
  OUTBOX_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  OUTBOX_RETENTION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 365)
    .default(24),
  HANDLED_EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(365).default(7),
  LIMIT_DEPTH: z.coerce.number().int().min(1).max(100).default(10),
  LIMIT_ALIASES: z.coerce.number().int().min(0).max(1000).default(15),
  LIMIT_ROOT_FIELDS: z.coerce.number().int().min(1).max(1000).default(20),
  LIMIT_DIRECTIVES: z.coerce.number().int().min(0).max(1000).default(20),
  LIMIT_TOKENS: z.coerce.number().int().min(100).max(1_000_000).default(2000),
  LIMIT_COST: z.coerce.number().int().min(1).max(10_000_000).default(5000),
  RATE_LIMIT_COST_PER_MINUTE: z.coerce.number().int().min(0).default(100_000),
  RATE_LIMIT_ACCOUNT_COST_PER_MINUTE: z.coerce.number().int().min(0).default(1_000_000),
  RATE_LIMIT_SIGN_IN_PER_MINUTE: z.coerce.number().int().min(0).max(10_000).default(20),
  SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).max(10_000).default(100),
  SUBSCRIPTIONS_PER_PRINCIPAL: z.coerce.number().int().min(0).max(1_000_000).default(500),
  SUBSCRIPTION_UNSENT_BYTES: z.coerce
    .number()
    .int()
    .min(16 * 1024)
    .max(1024 * 1024 * 1024)
    .default(1024 * 1024),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /** Identical subgraph fetches of queries in flight at once, for equal identities, run once. */
  GATEWAY_DEDUPE_QUERIES: bool.default(true),
  LOG_REQUESTS: bool.optional(),
  BLOCK_ENCRYPTION_KEY: z
    .string()
    .optional()
    .refine((v) => v === undefined || parseKey(v) !== null, {
      message: '32 bytes, as 64 hex characters or base64 (openssl rand -base64 32)',
    }),
  BACKGROUND_SERVICES: bool.default(true),
  /** The window failed sign-ins are counted in (throttle and audit). */
  SIGN_IN_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .max(86_400)
    .default(SETTING_DEFAULTS.signIn.windowMs / 1000),
  /** Failed sign-ins for one email from one address before that address must wait. */
  SIGN_IN_MAX_FAILURES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(SETTING_DEFAULTS.signIn.maxFailures),
  /** Failed sign-ins from one address (any email) before it must wait. */
  SIGN_IN_MAX_FAILURES_PER_IP: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(SETTING_DEFAULTS.signIn.maxFailuresPerIp),
  /** Failed sign-ins for one email from all addresses that lock it (each time) … */
  SIGN_IN_LOCK_AFTER_FAILURES: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(SETTING_DEFAULTS.signIn.lockAfterFailures),
  /** … for this long (a short cap, so an attacker cannot keep the owner out for long). */
  SIGN_IN_LOCK_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(SETTING_DEFAULTS.signIn.lockMs / 1000),
  /** Refused requests (FORBIDDEN, non-member NOT_FOUND) are audited per caller, kind and window. */
  AUDIT_REFUSAL_WINDOW_SECONDS: z.coerce.number().int().min(10).max(86_400).default(900),
  /** Where browsers reach this deployment: SSO redirect and ACS URLs, SP metadata. */
  PUBLIC_URL: z.string().url().optional(),
  /** AES-256-GCM key of SSO secrets (OIDC client secrets, SAML SP private keys) in access. */
  SSO_ENCRYPTION_KEY: z
    .string()
    .optional()
    .refine((v) => v === undefined || parseKey(v) !== null, {
      message: '32 bytes, as 64 hex characters or base64 (openssl rand -base64 32)',
    }),
  /** DNS servers (ip or ip:port, comma-separated) that verify SSO domains; the system's when empty. */
  SSO_DNS_SERVERS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
    ),
  /** Let identity providers be reached over plain http (tests, a local IdP); https otherwise. */
  SSO_ALLOW_INSECURE_HTTP: bool.default(false),
  /** Origins (comma-separated) an SSO login may return the browser to, besides PUBLIC_URL's. */
  SSO_RETURN_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
    ),
  /** Clock skew tolerated on ID tokens and SAML assertions. */
  SSO_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(60),
  /** Automation webhooks: allow loopback/private/internal targets (tests, trusted networks). */
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: bool.default(SETTING_DEFAULTS.webhooks.allowPrivateNetworks),
  /** Comma-separated hosts webhooks may reach whatever they resolve to. */
  WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    ),
  WEBHOOK_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(120_000)
    .default(SETTING_DEFAULTS.webhooks.timeoutMs),
  WEBHOOK_MAX_ATTEMPTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(20)
    .default(SETTING_DEFAULTS.webhooks.maxAttempts),
  /** Retry n waits WEBHOOK_RETRY_BASE_MS × 2^(n−1). */
  WEBHOOK_RETRY_BASE_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3_600_000)
    .default(SETTING_DEFAULTS.webhooks.retryBaseMs),

  // --- Push work pools (operations) ---
  /**
   * Flowplane's REST API (`…/api`) as pushed infrastructure reaches it; default PUBLIC_URL/api
   * (in embedded mode without PUBLIC_URL: the address the server listens on).
   */
  PUSH_API_URL: z.string().url().optional(),
  /** Lifetime of the run-scoped credential handed to a pushed run (revoked earlier when it ends). */
  PUSH_CREDENTIAL_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(6 * 3600),
  /** How long it still delivers the run's trailing logs and events after the run ended. */
  PUSH_CREDENTIAL_GRACE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),

  // --- Error summaries (operations) ---
  /** Base URL of an OpenAI-compatible API (…/v1); unset: only the built-in summarizer writes. */
  ERROR_SUMMARY_LLM_URL: z.string().url().optional(),
  /** The chat model asked (required with ERROR_SUMMARY_LLM_URL). */
  ERROR_SUMMARY_LLM_MODEL: z.string().min(1).max(200).optional(),
  /** Sent as `Authorization: Bearer …`; optional (local servers). */
  ERROR_SUMMARY_LLM_API_KEY: z.string().min(1).optional(),
  /** A call taking longer falls back to the built-in summary. */
  ERROR_SUMMARY_LLM_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  /** Model calls per account and UTC day; past it, the built-in summary is used. */
  ERROR_SUMMARY_LLM_DAILY_BUDGET: z.coerce.number().int().min(0).max(1_000_000).default(200),

  // --- Browsers (explorer, dashboard, UIs on other origins) ---
  /** Comma-separated origins whose browsers may call the API (CORS); `*` for any. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .refine((list) => list.every((o) => o === '*' || /^https?:\/\/[^/]+$/.test(o)), {
      message:
        'comma-separated origins such as https://app.example.com (scheme and host, no path), or *',
    }),

  // --- Observability ---
  /** Serve Prometheus metrics on /metrics. */
  METRICS: bool.default(true),
  /** OTLP/HTTP collector for traces (e.g. http://collector:4318); tracing is off without it. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** The service name on this process's spans (default flowplane-<service>). */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  // --- Email (invitations, later SSO notices) ---
  /** smtp://user:pass@host:port (smtps:// for TLS); unset: invitation codes are passed on by hand. */
  SMTP_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || /^smtps?:\/\/[^/]+/.test(v), {
      message: 'smtp://user:password@host:port or smtps://…',
    }),
  SMTP_FROM: z.string().min(3).default('Flowplane <flowplane@localhost>'),
  MAIL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  /** Retry n of a failed email waits MAIL_RETRY_BASE_MS × 2^(n−1). */
  MAIL_RETRY_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(60_000),

  // --- Operator tooling (`flowplane …`) ---
  /** `flowplane rotate-block-key`: the key to re-encrypt the secret fields under. */
  BLOCK_ENCRYPTION_KEY_NEW: z
    .string()
    .optional()
    .refine((v) => v === undefined || parseKey(v) !== null, {
      message: '32 bytes, as 64 hex characters or base64 (openssl rand -base64 32)',
    }),
});

/** A 32-byte key written as 64 hex characters or as base64 (standard or URL-safe). */
export function parseKey(value: string): Buffer | null {
  const v = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(v)) {
    const b = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === 32) return b;
  }
  return null;
}

export type Env = z.infer<typeof schema> & {
  internalTokenSecret: string;
  /** BLOCK_ENCRYPTION_KEY decoded; see `blockEncryptionKey` for the embedded fallback. */
  blockKey?: Buffer;
  /** SSO_ENCRYPTION_KEY decoded; see `ssoEncryptionKey` for the embedded fallback. */
  ssoKey?: Buffer;
  /** PUBLIC_URL without a trailing slash (default http://localhost:PORT). */
  publicUrl: string;
  /** BLOCK_ENCRYPTION_KEY_NEW decoded (key rotation). */
  newBlockKey?: Buffer;
};

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
  if (env.ERROR_SUMMARY_LLM_URL && !env.ERROR_SUMMARY_LLM_MODEL) {
    throw new Error(
      'Invalid configuration:\n  ERROR_SUMMARY_LLM_MODEL: required with ERROR_SUMMARY_LLM_URL (the chat model to ask)',
    );
  }
  if (opts.requireSecret && !env.INTERNAL_TOKEN_SECRET) {
    throw new Error(
      'Invalid configuration:\n  INTERNAL_TOKEN_SECRET: required when services run as separate processes (the gateway and every subgraph must share it)',
    );
  }
  // Embedded mode: gateway and subgraphs share one process, so a per-process secret is enough.
  return {
    ...env,
    internalTokenSecret: env.INTERNAL_TOKEN_SECRET ?? randomBytes(32).toString('hex'),
    blockKey: env.BLOCK_ENCRYPTION_KEY ? parseKey(env.BLOCK_ENCRYPTION_KEY)! : undefined,
    ssoKey: env.SSO_ENCRYPTION_KEY ? parseKey(env.SSO_ENCRYPTION_KEY)! : undefined,
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    newBlockKey: env.BLOCK_ENCRYPTION_KEY_NEW ? parseKey(env.BLOCK_ENCRYPTION_KEY_NEW)! : undefined,
  };
}

export const BLOCK_KEY_FILE = 'block-encryption.key';
export const SSO_KEY_FILE = 'sso-encryption.key';

/**
 * The AES-256 key of secret block fields. Required wherever several processes (or machines)
 * may share the data: PostgreSQL, a subgraph served alone, production. The embedded SQLite
 * mode without it keeps a generated key next to its data files (DATA_DIR), so a restart reads
 * what it wrote; the key itself is never logged.
 */
export function blockEncryptionKey(env: Env, mode: 'embedded' | 'alone'): Buffer {
  return encryptionKey(env, mode, env.blockKey, {
    variable: 'BLOCK_ENCRYPTION_KEY',
    file: BLOCK_KEY_FILE,
    what: 'secret block fields',
    who: 'operations',
  });
}

/**
 * The AES-256 key of SSO secrets in the access subgraph (OIDC client secrets, SAML SP private
 * keys): the same rule as BLOCK_ENCRYPTION_KEY, with a key of its own, so that either can be
 * rotated or handed to its subgraph alone.
 */
export function ssoEncryptionKey(env: Env, mode: 'embedded' | 'alone'): Buffer {
  return encryptionKey(env, mode, env.ssoKey, {
    variable: 'SSO_ENCRYPTION_KEY',
    file: SSO_KEY_FILE,
    what: 'SSO secrets',
    who: 'access',
  });
}

function encryptionKey(
  env: Env,
  mode: 'embedded' | 'alone',
  configured: Buffer | undefined,
  k: { variable: string; file: string; what: string; who: string },
): Buffer {
  if (configured) return configured;
  if (mode !== 'embedded' || env.DATABASE_URL || env.NODE_ENV === 'production') {
    throw new Error(
      `Invalid configuration:\n  ${k.variable}: required with DATABASE_URL, in production and when the ${k.who} subgraph runs alone (32 bytes as hex or base64; every ${k.who} process needs the same key)`,
    );
  }
  const file = join(env.DATA_DIR, k.file);
  if (existsSync(file)) {
    const key = parseKey(readFileSync(file, 'utf8'));
    if (!key)
      throw new Error(
        `Invalid configuration:\n  ${k.variable}: ${file} does not hold a 32-byte key`,
      );
    return key;
  }
  mkdirSync(env.DATA_DIR, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  log.warn(
    `${k.variable} is not set: generated a key for ${k.what} in ${file}. Back it up with the data; set ${k.variable} before moving to PostgreSQL or production.`,
  );
  return key;
}

/**
 * Whether unexpected errors are logged with their cause (FLOWPLANE_LOG_ERRORS=false silences
 * them, for tests that provoke them on purpose). Read on each call: tests set it at run time.
 */
export function logsUnexpectedErrors(): boolean {
  return process.env.FLOWPLANE_LOG_ERRORS !== 'false';
}

/** Apollo reports usage to its cloud unless told not to; a self-hosted gateway never should. */
export function disableApolloTelemetry(): void {
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
}
