import { darkroomTestConfig } from '../../vitest.shared.js';

export default darkroomTestConfig('@darkroom/api', { test: { globalSetup: ['./test/global-setup.ts'] } });
