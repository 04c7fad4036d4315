import { UsageView } from '@darkroom/core';
import { protectedProcedure, router } from '../trpc.js';
import { getMyUsage } from './service.js';

export const statsRouter = router({
  /** The caller's jobs, outcomes, processing times, credits and favourite presets/providers. */
  me: protectedProcedure.output(UsageView).query(({ ctx: { db, user } }) => getMyUsage({ db, user })),
});
