import { GlobalStatsView, UsageView } from '@darkroom/core';
import { adminProcedure, protectedProcedure, router } from '../trpc.js';
import { getGlobalStats, getMyUsage } from './service.js';

export const statsRouter = router({
  /** The caller's jobs, outcomes, processing times, credits and favourite presets/providers. */
  me: protectedProcedure.output(UsageView).query(({ ctx: { db, user } }) => getMyUsage({ db, user })),
  /** Admins: everyone's totals, success rate, processing times, outcomes per provider, popular presets. */
  global: adminProcedure.output(GlobalStatsView).query(({ ctx: { db } }) => getGlobalStats({ db })),
});
