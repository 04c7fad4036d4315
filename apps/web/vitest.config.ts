import { darkroomTestConfig } from '../../vitest.shared.js';

export default darkroomTestConfig('@darkroom/web', { test: { environment: 'node' } });
