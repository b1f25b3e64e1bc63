// ESLint: the recommended rules, promises that are neither awaited nor deliberately dropped, and the
// rule that workflows/ and common/ (run in Temporal's deterministic workflow sandbox) import no Node
// built-in, no Node-only package and no value from the Node-side folders. Formatting is Prettier's.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const SANDBOX_MESSAGE = 'workflows/ and common/ run in the workflow sandbox: no Node modules (see CONTRIBUTING.md).';

/** Packages that need Node (sockets, files, native code) or belong to the worker/client side. */
const NODE_ONLY_PACKAGES = [
  '@electric-sql/pglite',
  '@hono/node-server',
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/testing',
  '@temporalio/worker',
  'commander',
  'drizzle-kit',
  'drizzle-orm',
  'express',
  'fastify',
  'openai',
  'pg',
  'pino',
  'pino-pretty',
  'playwright-core',
  'prom-client',
  'proxy-addr',
  'rate-limiter-flexible',
  'resend',
  'tsx',
  'twilio',
];

const sandboxImports = {
  paths: [...builtinModules.filter((name) => !name.startsWith('_')), ...NODE_ONLY_PACKAGES].map((name) => ({
    name,
    message: SANDBOX_MESSAGE,
  })),
  patterns: [
    { group: ['node:*'], message: SANDBOX_MESSAGE },
    {
      group: [
        ...NODE_ONLY_PACKAGES.map((name) => `${name}/*`),
        '@secretlint/*',
        '@opentelemetry/exporter-*',
        '@opentelemetry/sdk-*',
        '@opentelemetry/resources',
      ],
      message: SANDBOX_MESSAGE,
    },
    {
      // Types from the Node side are fine (erased at build time); values would bundle Node code.
      regex: '^(\\.\\./)+(activities|bin|cli|client|dashboard|db|eval|examples|lib|scripts|test|workers)/',
      allowTypeImports: true,
      message: `${SANDBOX_MESSAGE} Import types only from the Node-side folders.`,
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'dist/',
      '.data/',
      '.tools/',
      'node_modules/',
      'test/histories/',
      'test/fixtures/package-consumer/',
      'db/migrations/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `_name`: a parameter an interface requires but this implementation does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests read JSON bodies and stand in for SDK objects loosely typed: their assertions check the shape.
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['workflows/**/*.ts', 'common/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', sandboxImports] },
  },
  {
    // Plain JavaScript: outside the TypeScript project, so no type-aware rules.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['dashboard/public/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
);
