import { configDefaults } from 'vitest/config';
import { darkroomTestConfig } from '../../vitest.shared.js';

// The files share one module graph (`isolate: false`): see docs/testing.md, "Suite time". Not the ones
// that look at what the process has loaded (no OpenTelemetry SDK without an endpoint): they get their own.
const ownModules = ['src/traces-off.test.ts'];

export default darkroomTestConfig('@darkroom/api', {
  test: {
    globalSetup: ['./test/global-setup.ts'],
    projects: [
      { extends: true, test: { name: 'shared', isolate: false, exclude: [...configDefaults.exclude, ...ownModules] } },
      { extends: true, test: { name: 'own-modules', include: ownModules } },
    ],
  },
});
