import { darkroomTestConfig } from '../../vitest.shared.js';

// These tests start whole Darkroom processes; running their files one at a time keeps a 2-core
// machine from timing them out. Each starts from a copy of one migrated cluster (src/global-setup.ts).
// `expect.poll` waits for what a browser and three processes do on a loaded 2-core machine, which
// vitest's default of one second cannot promise. A poll ends as soon as it holds, so a longer bound
// costs a passing test nothing.
export default darkroomTestConfig('@darkroom/e2e', {
  test: {
    fileParallelism: false,
    testTimeout: 120_000,
    globalSetup: ['./src/global-setup.ts'],
    expect: { poll: { timeout: 15_000 } },
  },
});
