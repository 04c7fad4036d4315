import { QueueStatus } from '@darkroom/core';
import { protectedProcedure, router } from '../trpc.js';
import { getQueueStatus } from './service.js';

export const queueRouter = router({
  /** Queue length, running jobs, average wait, queued by priority, workers alive, system status. */
  status: protectedProcedure.output(QueueStatus).query(({ ctx: { db, settings } }) => getQueueStatus({ db, settings })),
});
