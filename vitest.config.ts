import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One copy of graphql: vite would otherwise load the ESM build next to Node's CJS one,
    // and Apollo refuses schemas "from another module or realm".
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/harness/setup.ts'],
    globalSetup: ['tests/harness/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // A worker runs file after file with the modules it already loaded (importing the stack
    // costs seconds of CPU per file). Tests therefore leave no global state behind: no
    // process.env writes (vi.stubEnv + vi.unstubAllEnvs), fake timers and spies restored, stacks
    // and processes they start stopped in afterAll.
    isolate: false,
    maxWorkers: 2,
    env: { APOLLO_TELEMETRY_DISABLED: 'true' },
  },
});
