import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'data',
      'ui/dist',
      'schema',
      'tests/generated',
      'rest/generated',
      'bench/results',
      '.venv',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-declaration-merging': 'off',
      // type-graphql's resolver and orphaned-type lists are typed as Function[].
      '@typescript-eslint/no-unsafe-function-type': 'off',
    },
  },
  {
    // process.env is read only in the env modules (validated there, a bad value stops start-up).
    // Scripts, benchmarks and tests are tools around the product and configure processes.
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['lib/env.ts', 'scripts/**', 'bench/**', 'tests/**', '*.config.ts', 'codegen.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read settings in lib/env.ts (zod-validated) and pass them in.',
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
