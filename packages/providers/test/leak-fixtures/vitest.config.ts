// The fixtures of src/testing/leak-check.test.ts, run under the config every package uses.
import { darkroomTestConfig } from '../../../../vitest.shared.js';

export default darkroomTestConfig('@darkroom/providers-leak-fixtures', { test: { include: ['*.fixture.ts'] } });
