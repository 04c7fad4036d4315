import { darkroomTestConfig } from '../../vitest.shared.js';

// The files share one module graph (`isolate: false`): see docs/testing.md, "Suite time".
export default darkroomTestConfig('@darkroom/storage', { test: { isolate: false } });
