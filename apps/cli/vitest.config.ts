import { darkroomTestConfig } from '../../vitest.shared.js';

export default darkroomTestConfig('@darkroom/cli', { test: { globalSetup: ['./test/global-setup.ts'] } });
