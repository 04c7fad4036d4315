import { darkroomTestConfig } from '../../vitest.shared.js';

// Each CLI test is a chain of real `darkroom` processes (2-4 s each to start on a busy 2-core machine):
// a longer limit than the shared 30 s, which is a bound on a hang, not a measure of speed.
export default darkroomTestConfig('@darkroom/cli', {
  test: { globalSetup: ['./test/global-setup.ts'], testTimeout: 90_000 },
});
