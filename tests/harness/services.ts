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

/** The end-to-end suite runs on SQLite, or on PostgreSQL with FLOWPLANE_TEST_DB=postgres. */
export function testDatabase(): 'sqlite' | 'postgres' {
  if (process.env.FLOWPLANE_TEST_DB === 'postgres') {
    if (!DATABASE_URL) throw new Error('FLOWPLANE_TEST_DB=postgres needs DATABASE_URL');
    return 'postgres';
  }
  return 'sqlite';
}
