import { darkroomTestConfig } from '../../vitest.shared.js';

// `isolate: false`: the files share one module graph instead of each importing the app again (that
// import was a quarter of the package's time); each still makes its own database, server and workers.
export default darkroomTestConfig('@darkroom/api', {
  test: { globalSetup: ['./test/global-setup.ts'], isolate: false },
});
