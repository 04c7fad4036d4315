// One lint configuration for the whole workspace; each package runs `eslint src`.
// TypeScript files are linted with type information (each file's nearest tsconfig, via the project
// service), so promise mistakes (a floating promise, an async callback where a void one is expected)
// are errors.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

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
        { object: 'process', property: 'env', message: 'Read configuration through the app\'s env.ts.' },
      ],
    },
  },
  {
    // Plain JavaScript (scripts, the bench) is in no tsconfig, so it gets the rules that need no types.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/env.ts', '**/*.test.ts', '**/*.test.tsx', '**/testing/**', '**/vitest.*.ts', 'scripts/**', 'tests/**', 'bench/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
