import { darkroomTestConfig } from '../../vitest.shared.js';

export default darkroomTestConfig('@darkroom/telemetry');
