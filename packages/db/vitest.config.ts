import { darkroomTestConfig } from '../../vitest.shared.js';

export default darkroomTestConfig('@darkroom/db', { test: { globalSetup: ['./test/global-setup.ts'] } });
