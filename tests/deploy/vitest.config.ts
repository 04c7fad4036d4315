import { darkroomTestConfig } from '../../vitest.shared.js';

// One file that deploys and starts whole processes; its own limits are inside it.
export default darkroomTestConfig('@darkroom/deploy-test', { test: { testTimeout: 90_000, hookTimeout: 180_000 } });
