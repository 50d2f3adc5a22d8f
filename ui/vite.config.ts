import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The pages Flowplane serves itself: the GraphQL explorer (GraphiQL, at /graphql for browsers),
 * the live dashboard (/ui) and the REST layer's interactive docs (Swagger UI, at /api/docs).
 * Everything they load is in this build: no CDN, no web fonts from elsewhere, no telemetry.
 * `npm install` builds it (`prepare`); the server reads ui/dist.
 */
export default defineConfig({
  root,
  base: '/ui/',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: {
        explorer: `${root}explorer.html`,
        dashboard: `${root}dashboard.html`,
        apiDocs: `${root}api-docs.html`,
      },
      // Libraries marked "use client" for React Server Components: meaningless in this bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
});
