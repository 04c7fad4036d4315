// Every package's vitest config starts here, so the run writes one JSON report per package
// that scripts/test-summary.mjs adds up, and every test file is checked for leaks.
import path from 'node:path';
import { defineConfig, mergeConfig, type ViteUserConfig } from 'vitest/config';

/** Fails a test file that leaves a tracked resource or a child process running (docs/testing.md). */
export const leakCheckSetupFile = path.resolve(import.meta.dirname, 'vitest.leak-check.ts');

export function darkroomTestConfig(packageName: string, overrides: ViteUserConfig = {}) {
  const report = path.resolve(import.meta.dirname, 'test-results/vitest', `${packageName.replace(/[@/]/g, '_')}.json`);
  return mergeConfig(
    defineConfig({
      test: {
        reporters: ['default', 'json'],
        outputFile: { json: report },
        testTimeout: 30_000,
        hookTimeout: 60_000,
        setupFiles: [leakCheckSetupFile],
      },
    }),
    overrides,
  );
}
