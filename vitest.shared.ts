// Every package's vitest config starts here, so the run writes one JSON report per package
// that scripts/test-summary.mjs adds up.
import path from 'node:path';
import { defineConfig, mergeConfig, type ViteUserConfig } from 'vitest/config';

export function darkroomTestConfig(packageName: string, overrides: ViteUserConfig = {}) {
  const report = path.resolve(import.meta.dirname, 'test-results/vitest', `${packageName.replace(/[@/]/g, '_')}.json`);
  return mergeConfig(
    defineConfig({
      test: {
        reporters: ['default', 'json'],
        outputFile: { json: report },
        testTimeout: 30_000,
        hookTimeout: 60_000,
      },
    }),
    overrides,
  );
}
