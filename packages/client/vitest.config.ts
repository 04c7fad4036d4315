import { darkroomTestConfig } from '../../vitest.shared.js';

export default darkroomTestConfig('@darkroom/client', { test: { globalSetup: ['./test/global-setup.ts'] } });
