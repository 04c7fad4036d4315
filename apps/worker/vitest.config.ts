import { darkroomTestConfig } from '../../vitest.shared.js';

export default darkroomTestConfig('@darkroom/worker', { test: { globalSetup: ['./test/global-setup.ts'] } });
