import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What the tests need from the machine: PostgreSQL and Redis are read from DATABASE_URL and
 * REDIS_URL. Without them a test skips with a line saying so; under CI=true a missing service
 * fails instead.
 */
export const DATABASE_URL = process.env.DATABASE_URL;
export const REDIS_URL = process.env.REDIS_URL;
const CI = process.env.CI === 'true';

export function requireService(name: 'DATABASE_URL' | 'REDIS_URL'): boolean {
  const present = Boolean(process.env[name]);
  if (!present) {
    if (CI) throw new Error(`${name} is not set: CI must run this test against a real service`);
    console.log(`skipping: ${name} is not set (set it to run the tests that need it)`);
  }
  return present;
}

const VENV = process.env.FLOWPLANE_VENV ?? fileURLToPath(new URL('../../.venv', import.meta.url));

/**
 * The Python virtualenv of the compatibility tests (scripts/python-env.sh, prepared by the global
 * setup of `npm test` and by .ci/run): its `bin/` path, or null (with a line; CI=true throws)
 * when it is not there.
 */
export function requirePython(): string | null {
  const bin = join(VENV, 'bin');
  const ready = existsSync(join(bin, 'python')) && !process.env.FLOWPLANE_PYTHON_UNAVAILABLE;
  if (!ready) {
    const why = process.env.FLOWPLANE_PYTHON_UNAVAILABLE ?? `${VENV} does not exist`;
    if (CI) throw new Error(`the Python virtualenv is missing (${why}): CI must run this test`);
    console.log(`skipping: the Python virtualenv is not ready (${why}); run scripts/python-env.sh`);
    return null;
  }
  return bin;
}

/** The end-to-end suite runs on SQLite, or on PostgreSQL with FLOWPLANE_TEST_DB=postgres. */
export function testDatabase(): 'sqlite' | 'postgres' {
  if (process.env.FLOWPLANE_TEST_DB === 'postgres') {
    if (!DATABASE_URL) throw new Error('FLOWPLANE_TEST_DB=postgres needs DATABASE_URL');
    return 'postgres';
  }
  return 'sqlite';
}
