import { darkroomTestConfig } from '../../vitest.shared.js';

// These tests start whole Darkroom processes; running their files one at a time keeps a 2-core
// machine from timing them out. Each starts from a copy of one migrated cluster (src/global-setup.ts).
export default darkroomTestConfig('@darkroom/e2e', {
  test: { fileParallelism: false, testTimeout: 120_000, globalSetup: ['./src/global-setup.ts'] },
});
